"""A rep's private calendar feed (iCalendar): the secret in its URL is stored only as its SHA-256.

The URL opens the rep's visits with the clients' names and addresses to whoever holds it, so it is a
credential like an API key (leadflow.models.credentials): shown once when made, rotated to revoke.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

FEED_PREFIX = "cal_"


def feed_token_new():
    return FEED_PREFIX + secrets.token_urlsafe(30)


def feed_token_hash(token):
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class CalendarFeed(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("link made"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("link replaced"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last read by a calendar"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
