"""The rep's visits in the phone's own calendar: the private iCalendar feed and the page to get its link."""

from urllib.parse import urljoin

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from .. import feeds, services
from ..models import CalendarFeed
from .common import board_required, post_action

FRESH_LINK = "calendar_feed_link"  # the session key that shows a new link once, after the redirect


def feed_link(token):
    return urljoin(settings.SITE_URL, reverse("sales:calendar-feed-ics", args=[token]))


@board_required
@require_GET
def feed_settings(request):
    """The rep's feed: make or replace its link, and how to add it to Yandex, Google or Apple calendars."""
    fresh_link = request.session.pop(FRESH_LINK, None)
    context = {
        "feed": CalendarFeed.objects.filter(user=request.user).first(),
        "fresh_link": fresh_link,
        # webcal:// opens the phone's calendar app on its "subscribe" screen (Apple, most Android apps)
        "webcal_link": "webcal://" + fresh_link.split("://", 1)[1] if fresh_link else "",
        "page_title": _("Visits in the phone's calendar"),
    }
    return render(request, "sales/calendar_feed.html", context)


@board_required
@post_action
def feed_rotate(request):
    _feed, token = services.calendar_feed_rotate(actor=request.user)
    request.session[FRESH_LINK] = feed_link(token)
    return _("A new calendar link is made; the old one no longer works."), reverse("sales:calendar-feed")


@require_safe  # GET, and the HEAD some calendar apps send first
def feed(request, token):
    """The feed itself: the calendar app asks without a session, the secret in the URL is the key."""
    found = services.calendar_feed_for_token(token)
    if found is None:
        raise Http404
    with translation.override(settings.LANGUAGE_CODE):  # a calendar app's Accept-Language is no choice
        body = feeds.visits_calendar(rep=found.user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = 'inline; filename="leadflow.ics"'
    return response
