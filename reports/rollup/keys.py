"""The rollup's keys: its dimensions, counts and durations, and the local days it is cut by."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from leadflow.models import LeadStatus

WON = Q(status=LeadStatus.WON)
UNCALLED_DUE = Q(first_call_at__isnull=True, sla_breach_at__isnull=False)

# metric → (duration (end, start), only for the leads matching): the funnel's stage times and cycle, the
# speed page's first call (= t_call), system part and people part
METRICS = {
    "t_call": (("first_call_at", "received_at"), None),
    "t_qualify": (("qualified_at", "first_call_at"), None),
    "t_handoff": (("handed_off_at", "qualified_at"), None),
    "t_accept": (("accepted_at", "handed_off_at"), None),
    "t_measure": (("measured_at", "accepted_at"), None),
    "t_close": (("closed_at", "measured_at"), WON),
    "cycle_p50": (("closed_at", "received_at"), WON),
    "system": (("claimed_at", "received_at"), None),
    "people": (("first_call_at", "claimed_at"), Q(first_call_at__gte=F("claimed_at"))),
}
SPEED_METRICS = ("t_call", "system", "people")

COUNTS = {
    "received": Q(),
    "called": Q(first_call_at__isnull=False),
    "qualified": Q(qualified_at__isnull=False),
    "handed_off": Q(handed_off_at__isnull=False),
    "accepted": Q(accepted_at__isnull=False),
    "measured": Q(measured_at__isnull=False),
    "won": WON,
    "within_warn": Q(first_call_at__lte=F("sla_warn_at")),
    "within_breach": Q(first_call_at__lte=F("sla_breach_at")),
    "uncalled_due": UNCALLED_DUE,
}
SUM_KEYS = [*COUNTS, "revenue"]


def _value_of(kind):
    """The SQL value of a lead in the dimension `kind` (None: the kind has no value column)."""
    from ..selectors.common import FUNNEL_CREDIT, SPEED_CREDIT, credited_person_id

    tz = local_tz()
    return {
        "funnel_person": lambda: credited_person_id(FUNNEL_CREDIT),
        "speed_person": lambda: credited_person_id(SPEED_CREDIT),
        "source": lambda: F("source_id"),
        "hour": lambda: ExtractHour("received_at", tzinfo=tz),
        "slot": lambda: ExtractIsoWeekDay("received_at", tzinfo=tz) * 100 + ExtractHour("received_at", tzinfo=tz),
    }.get(kind)


# kind → (the histograms kept per row and month, whether it has daily count rows): the groupings of the
# funnel (team = "all" per team, qualifier, source, region) and of the speed page (team, qualifier,
# source, hour), the speed heat map (slot = weekday × hour: counts from "hour" by the day's weekday) and
# its weekly trend (week: histograms per week within the month, counts from "all" by the day's week)
KINDS = {
    "all": (tuple(METRICS), True),
    "funnel_person": (("cycle_p50",), True),
    "speed_person": (SPEED_METRICS, True),
    "source": (("cycle_p50", *SPEED_METRICS), True),
    "region": (("cycle_p50",), True),
    "hour": (SPEED_METRICS, True),
    "slot": (("t_call",), False),
    "week": (SPEED_METRICS, False),
}
FUNNEL_KIND = {"team": "all", "qualifier": "funnel_person", "source": "source", "region": "region"}
SPEED_KIND = {"team": "all", "qualifier": "speed_person", "source": "source", "hour": "hour"}


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day):
    return datetime.combine(day, time(), tzinfo=local_tz())


def today():
    return timezone.localdate(timezone=local_tz())


def month_start(day):
    return day.replace(day=1)


def next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
