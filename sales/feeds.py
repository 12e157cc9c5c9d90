"""A rep's measurement visits as an iCalendar feed, for the phone's own calendar (Yandex, Google, Apple).

One event per visit series: a reschedule books a new Visit row of the same series with the next
sequence, so the event keeps its UID and moves (SEQUENCE grows); a cancelled visit stays in the feed
with STATUS:CANCELLED, and a visit moved to another rep is cancelled in this rep's feed.
"""

from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from leadflow import links
from leadflow.people import display_name

from .models import Visit

PAST_DAYS = 60
FUTURE_DAYS = 180
STATUS = {
    Visit.Status.SCHEDULED: "CONFIRMED",
    Visit.Status.DONE: "CONFIRMED",
    Visit.Status.NO_SHOW: "CONFIRMED",
    Visit.Status.RESCHEDULED: "CANCELLED",  # the last row of this rep in a series moved to another rep
    Visit.Status.CANCELLED: "CANCELLED",
}


def visit_uid(visit):
    return f"visit-{visit.series}@leadflow"


def feed_visits(*, rep, now=None):
    """The last row of each of the rep's visit series around now (one query)."""
    now = now or timezone.now()
    rows = Visit.objects.filter(
        rep=rep, starts_at__gte=now - timedelta(days=PAST_DAYS), starts_at__lte=now + timedelta(days=FUTURE_DAYS)
    ).select_related("lead")
    latest = {}
    for visit in rows:
        if visit.series not in latest or visit.sequence > latest[visit.series].sequence:
            latest[visit.series] = visit
    return sorted(latest.values(), key=lambda visit: visit.starts_at)


def _event(visit):
    lead = visit.lead
    client = lead.name or lead.phone
    deal_link = urljoin(settings.SITE_URL, links.deal_url(lead.pk))
    summary = _("Measurement: %(client)s") % {"client": client}
    if visit.status == Visit.Status.NO_SHOW:
        summary = _("No-show: %(client)s") % {"client": client}
    details = [
        _("Client: %(client)s") % {"client": client},
        _("Phone: %(phone)s") % {"phone": lead.phone} if lead.phone else "",
        visit.note,
        _("Deal: %(url)s") % {"url": deal_link},
    ]
    event = Event()
    event.add("uid", visit_uid(visit))
    event.add("sequence", visit.sequence + (1 if visit.status == Visit.Status.RESCHEDULED else 0))
    event.add("dtstamp", visit.updated_at)
    event.add("last-modified", visit.updated_at)
    event.add("dtstart", visit.starts_at)
    event.add("dtend", visit.ends_at)
    event.add("summary", summary)
    event.add("location", visit.address)
    event.add("description", "\n".join(part for part in details if part))
    event.add("url", deal_link)
    event.add("status", STATUS[visit.status])
    return event


def visits_calendar(*, rep, now=None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Leadflow//Measurement visits//RU")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Measurements — %(rep)s") % {"rep": display_name(rep)})
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT30M")
    for visit in feed_visits(rep=rep, now=now):
        calendar.add_component(_event(visit))
    return calendar.to_ical()
