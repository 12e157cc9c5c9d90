"""Whether a page reads the rollup (the one place deciding), by whole months: the funnel, speed and pilot."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import DateField, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from leadflow.models import Lead

from .keys import FUNNEL_KIND, SPEED_KIND, day_start, local_tz, month_start, next_month, today
from .state import CHANGE_OVERLAP, rollup_state


def stale_months(first_month, end_month, changes_seen_until):
    """The months of [first_month, end_month) holding a lead changed (`updated_at`) since the rollup's
    last refresh (less CHANGE_OVERLAP: a change committed after the refresh's snapshot): their rows may
    be out of date, the page reads them raw. One query on the `updated_at` index (leadflow 0021)."""
    since = changes_seen_until - CHANGE_OVERLAP
    months = (
        Lead.objects.filter(
            updated_at__gte=since, received_at__gte=day_start(first_month), received_at__lt=day_start(end_month)
        )
        .annotate(r_month=TruncMonth("received_at", tzinfo=local_tz(), output_field=DateField()))
        .values_list("r_month", flat=True)
        .order_by()
        .distinct()
    )
    return frozenset(month.date() if isinstance(month, datetime) else month for month in months)


@dataclass(frozen=True)
class RollupPlan:
    """Whole months [first_month, end_month) but the `stale` ones come from the rollup rows matching
    `team_q`; the leads of the period outside them (the stale months' too, and `extra_q`: leads the
    filter counts that the team key cannot) from raw."""

    first_month: date
    end_month: date
    team_q: Q
    extra_q: Q | None
    covers_period: bool
    stale: frozenset = frozenset()

    def covered_q(self, prefix="received_at"):
        q = Q(**{f"{prefix}__gte": day_start(self.first_month), f"{prefix}__lt": day_start(self.end_month)})
        for month in sorted(self.stale):
            q &= ~Q(**{f"{prefix}__gte": day_start(month), f"{prefix}__lt": day_start(next_month(month))})
        return q

    def days_q(self):
        """The held day rows (DailyLeadRollup.day)."""
        q = Q(day__gte=self.first_month, day__lt=self.end_month)
        for month in sorted(self.stale):
            q &= ~Q(day__gte=month, day__lt=next_month(month))
        return q

    def spans_q(self):
        """The held histogram rows (LeadDurationHistogram's month spans)."""
        return spans_q(self.first_month, self.end_month, skip=self.stale)

    def tail(self, leads):
        """The leads of `leads` (the period's, filtered) the rollup does not hold; None when there are none
        to read (the period is whole held months and the team key says it all)."""
        if self.covers_period and self.extra_q is None:
            return None
        held = self.covered_q()
        outside = ~held
        if self.extra_q is not None:
            outside |= held & self.extra_q
        return leads.filter(outside)


def funnel_plan(*, report_filter, scope, group_by):
    """Whether the funnel reads the rollup (rollup_plan), for its groupings."""
    if group_by not in FUNNEL_KIND:
        return None
    return rollup_plan(report_filter=report_filter, scope=scope)


def speed_plan(*, report_filter, scope, group_by):
    """Whether the speed page reads the rollup (rollup_plan), for its groupings."""
    if group_by not in SPEED_KIND:
        return None
    return rollup_plan(report_filter=report_filter, scope=scope)


def rollup_plan(*, report_filter, scope):
    """The one place deciding whether a page reads the rollup: no person / source / region filter, the
    director's or a qualification lead's scope (a team filter: its team's rows, and from raw the leads
    of other teams handed to its reps), and at least one whole month of the period held; the period's
    other days come from raw. None: the exact raw computation."""
    narrowed = bool(report_filter.person_id or report_filter.source_id or report_filter.region)
    keys = rollup_keys(scope=scope, team_id=report_filter.team_id, narrowed=narrowed)
    if keys is None:
        return None
    team_q, extra_team = keys
    extra_q = None
    if extra_team is not None:
        # the team filter also counts leads handed to the team's reps: those of other teams come from raw
        extra_q = Q(sales_rep__profile__team_id=extra_team) & ~Q(qualification_team_id=extra_team)
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return None  # the rollup's days, hours and weeks are those of settings.TIME_ZONE
    state = rollup_state()
    if state is None:
        return None
    covered_from, covered_until, changes_seen_until = state
    period = report_filter.period
    tz = local_tz()
    start_day = timezone.localdate(period.start, timezone=tz)
    end_day = timezone.localdate(period.end, timezone=tz)
    if day_start(start_day) != period.start or day_start(end_day) != period.end:
        return None
    first = max(start_day, covered_from)
    first = first if first.day == 1 else next_month(first)
    last = min(end_day, covered_until, today())
    last = month_start(last)
    if first >= last:
        return None
    stale = stale_months(first, last, changes_seen_until)
    if not _segments(first, last, stale):
        return None  # every month changed since the refresh
    covers = first == start_day and last == end_day and not stale
    return RollupPlan(
        first_month=first, end_month=last, team_q=team_q, extra_q=extra_q, covers_period=covers, stale=stale
    )


def rollup_keys(*, scope, team_id=None, narrowed=False):
    """(the Q over the rollup rows' team, the team whose reps' leads of other teams a team filter also
    counts or None), or None when the rollup's keys cannot say which leads a page counts: a person /
    source / region filter (`narrowed`), a sales manager's scope (leads by their rep's team). The director
    sees every team; a qualification lead their own."""
    if narrowed:
        return None
    if not scope.sees_all:
        team_ids = scope.team_ids or frozenset()
        if scope.lead_q != Q(qualification_team_id=next(iter(team_ids), None)) or len(team_ids) != 1:
            return None  # a sales manager's scope reaches leads by their rep's team: not a rollup key
        if team_id and team_id not in team_ids:
            return None
        return Q(team_id__in=team_ids), None
    if team_id:
        return Q(team_id=team_id), team_id
    return Q(), None


def spans(first_month, end_month):
    """[(months, first month)] of the histogram rows that sum to the months [first_month, end_month):
    whole calendar years, then whole quarters, then single months."""
    result, month = [], first_month
    while month < end_month:
        for months in (12, 3, 1):
            if (month.month - 1) % months:
                continue
            end = month
            for _i in range(months):
                end = next_month(end)
            if end <= end_month:
                result.append((months, month))
                month = end
                break
    return result


def spans_q(first_month, end_month, *, skip=frozenset()):
    """The histogram rows of the months [first_month, end_month) but the months of `skip`."""
    q = Q(pk__in=[])
    for start, end in _segments(first_month, end_month, skip):
        for months, month in spans(start, end):
            q |= Q(months=months, month=month)
    return q


def _segments(first_month, end_month, skip):
    """[(start, end)]: the runs of consecutive months of [first_month, end_month) not in `skip`."""
    result, month, start = [], first_month, None
    while month < end_month:
        if month in skip:
            if start is not None:
                result.append((start, month))
            start = None
        elif start is None:
            start = month
        month = next_month(month)
    if start is not None:
        result.append((start, end_month))
    return result
