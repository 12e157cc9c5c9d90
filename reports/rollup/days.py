"""The criteria page's plan by days (DayPlan): held days from CriteriaDailyRollup, the rest raw."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from leadflow.models import Lead, LeadStatus

from .keys import day_start, local_tz, today
from .plan import rollup_keys
from .state import CHANGE_OVERLAP, rollup_state


@dataclass(frozen=True)
class DayPlan:
    """The criteria page's plan (issue 17): the held days [first_day, end_day) but the `stale` ones come
    from the CriteriaDailyRollup rows matching `team_q`; the rest of the period (its first and last
    part days, today, the stale days) and the leads a team filter counts through its reps
    (`extra_team`) are computed raw. Counts and sums only, so any period splits at day boundaries."""

    start: datetime
    end: datetime
    first_day: date
    end_day: date
    team_q: Q
    extra_team: int | None = None
    stale: frozenset = frozenset()
    # set when the changed days held more leads than a request may read raw: the held days are the rollup's
    # as of its last refresh (`as_of`), `lagging_days` of them changed since (the next refresh catches up)
    as_of: datetime | None = None
    lagging_days: int = 0

    def days_q(self):
        q = Q(day__gte=self.first_day, day__lt=self.end_day)
        return q & ~Q(day__in=sorted(self.stale)) if self.stale else q

    def held_q(self):
        q = Q(received_at__gte=day_start(self.first_day), received_at__lt=day_start(self.end_day))
        for day in sorted(self.stale):
            q &= ~Q(received_at__gte=day_start(day), received_at__lt=day_start(day + timedelta(days=1)))
        return q

    def outside_q(self):
        """The leads of the period [start, end) the rollup does not hold: the part days at both ends and the
        stale days, as closed ranges of `received_at` (PostgreSQL estimates those from its histogram; a NOT
        of the held range it estimated at 25 times the rows and then started the answers' query from all
        the answers), and the leads a team filter counts through its reps."""
        ranges = []
        if self.start < day_start(self.first_day):
            ranges.append((self.start, day_start(self.first_day)))
        ranges += [(day_start(day), day_start(day + timedelta(days=1))) for day in sorted(self.stale)]
        if day_start(self.end_day) < self.end:
            ranges.append((day_start(self.end_day), self.end))
        outside = Q(pk__in=[])
        for low, high in ranges:
            outside |= Q(received_at__gte=low, received_at__lt=high)
        if self.extra_team is not None:
            reps = Q(sales_rep__profile__team_id=self.extra_team) & ~Q(qualification_team_id=self.extra_team)
            outside |= self.held_q() & reps
        return outside

    def tail(self, leads):
        return leads.filter(self.outside_q())


def day_plan(*, start, end, scope, team_id=None, narrowed=False, reps_of_team=True, max_stale_leads=None):
    """The held days of [start, end) for the criteria page and its what-if (DayPlan), or None: compute it
    all raw (a filter the rollup cannot key, no rollup, no whole held day in the period, every day stale).
    `reps_of_team`: a team filter also counts the leads handed to its reps (the page's filter does; the
    what-if's team is the qualification team only). `max_stale_leads`: when the days changed since the
    last refresh hold more leads than that, they are not read raw: the plan keeps the rollup's rows as of
    the refresh and says so (`as_of`, `lagging_days`) — exact while it is cheap, minutes behind when a
    big, busy database would make every request re-read whole days."""
    keys = rollup_keys(scope=scope, team_id=team_id, narrowed=narrowed)
    state = rollup_state() if keys is not None else None
    if state is None:
        return None
    team_q, extra_team = keys
    covered_from, covered_until, changes_seen_until = state
    tz = local_tz()
    first = timezone.localdate(start, timezone=tz)
    if day_start(first) < start:
        first += timedelta(days=1)
    first = max(first, covered_from)
    last = min(timezone.localdate(end, timezone=tz), covered_until, today())
    if first >= last:
        return None
    stale = stale_days(first, last, changes_seen_until)
    extra_team = extra_team if reps_of_team else None
    if stale and max_stale_leads is not None and _leads_on(stale) > max_stale_leads:
        return DayPlan(start, end, first, last, team_q, extra_team, as_of=changes_seen_until, lagging_days=len(stale))
    if len(stale) >= (last - first).days:
        return None
    return DayPlan(start, end, first, last, team_q, extra_team, stale)


def _leads_on(days):
    """How many leads were received on `days` (an index-only count on `received_at`)."""
    received = Q(pk__in=[])
    for day in days:
        received |= Q(received_at__gte=day_start(day), received_at__lt=day_start(day + timedelta(days=1)))
    return Lead.objects.filter(received).count()


def _days_of(leads):
    days = leads.annotate(r_day=TruncDate("received_at", tzinfo=local_tz())).values_list("r_day", flat=True)
    return {day.date() if isinstance(day, datetime) else day for day in days.order_by().distinct()}


def stale_days(first_day, end_day, changes_seen_until):
    """The days of [first_day, end_day) whose criteria rows may be out of date: a lead received on them
    changed since the rollup's last refresh, or a lead won since then brought back one of their
    disqualified leads' phones ("disqualified, bought later"). Two queries on indexes."""
    since = changes_seen_until - CHANGE_OVERLAP
    received = Q(received_at__gte=day_start(first_day), received_at__lt=day_start(end_day))
    changed = Lead.objects.filter(updated_at__gte=since)
    won_phones = changed.filter(status=LeadStatus.WON).values("phone")
    comebacks = Lead.objects.filter(received, phone__in=won_phones, disqualified_at__isnull=False)
    return frozenset(_days_of(changed.filter(received)) | _days_of(comebacks))
