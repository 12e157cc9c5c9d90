"""The rep's private calendar feed: make or replace its secret link."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models.feeds import CalendarFeed, feed_token_hash, feed_token_new


def calendar_feed_rotate(*, actor) -> tuple[CalendarFeed, str]:
    """A new secret link for the actor's feed; the old one stops working at once. Returns the feed and
    the token in clear: the only moment it exists (only its hash is stored)."""
    token = feed_token_new()
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
        if feed is None:
            feed = CalendarFeed.objects.create(user=actor, token_hash=feed_token_hash(token))
        else:
            feed.token_hash = feed_token_hash(token)
            feed.rotated_at = timezone.now()
            feed.last_used_at = None
            feed.save(update_fields=["token_hash", "rotated_at", "last_used_at"])
    return feed, token


def calendar_feed_for_token(token: str):
    """The feed of an active person with this token, or None; notes when a calendar last read it."""
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=feed_token_hash(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)  # one write an hour, not one a poll
    return feed
