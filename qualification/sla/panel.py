"""The SLA panel of the qualification lead, and the median time to first call."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from leadflow import roles
from leadflow.db import Percentile, Seconds
from leadflow.models import OPEN_STATUSES, Lead, SlaState, Team
from leadflow.workhours import WorkCalendar

from .shift import qualifiers_on_shift


def median_duration(queryset, *, start: str, end: str):
    """Median of `end - start` over the queryset, in one aggregate query (None when empty).

    The core's `Percentile` aggregate: percentile_cont on PostgreSQL, the same interpolation on
    SQLite, whose julianday() keeps milliseconds (hence the rounding there).
    """
    seconds = queryset.aggregate(median=Percentile(Seconds(end, start), 0.5))["median"]
    if seconds is None:
        return None
    return timedelta(seconds=round(seconds, 3) if connection.vendor == "sqlite" else seconds)


@dataclass
class SlaPanel:
    team: Team
    now: datetime
    is_open: bool
    next_opening: datetime | None
    on_shift: list
    counts: dict
    urgent: list
    pending: list
    breaches_today: int
    called_today: int
    met_today: int
    median_today: timedelta | None

    @property
    def median_today_minutes(self):
        """The median as "m:ss" (minutes may exceed 59)."""
        if self.median_today is None:
            return None
        seconds = round(self.median_today.total_seconds())
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def met_share_today(self):
        return round(100 * self.met_today / self.called_today) if self.called_today else None


def sla_panel_get(*, team, now=None, limit=50) -> SlaPanel:
    """What the qualification lead watches: who is on shift, leads waiting for a call by SLA state,
    today's breaches and today's median time to first call (today in the team's time zone)."""
    now = now or timezone.now()
    calendar = WorkCalendar.for_team(team)
    today = now.astimezone(calendar.tz).date()
    day_start = datetime.combine(today, time.min, calendar.tz)
    day_end = day_start + timedelta(days=1)
    waiting = Lead.objects.filter(
        qualification_team=team, status__in=OPEN_STATUSES, is_archived=False, first_call_at__isnull=True
    )
    counts = dict.fromkeys((SlaState.PENDING, SlaState.WARNED, SlaState.BREACHED), 0)
    counts.update(waiting.values_list("sla_state").annotate(n=Count("pk")).order_by().values_list("sla_state", "n"))
    listed = waiting.select_related("qualifier", "source").only(
        "pk",
        "name",
        "phone",
        "received_at",
        "status",
        "sla_state",
        "sla_warn_at",
        "sla_breach_at",
        "sla_breached_at",
        "qualifier__username",
        "qualifier__first_name",
        "qualifier__last_name",
        "source__name",
    )
    received_today = Lead.objects.filter(qualification_team=team, received_at__gte=day_start, received_at__lt=day_end)
    called_today = received_today.filter(first_call_at__isnull=False)
    called = called_today.aggregate(total=Count("pk"), met=Count("pk", filter=Q(sla_state=SlaState.MET)))
    return SlaPanel(
        team=team,
        now=now,
        is_open=calendar.is_open_at(now),
        next_opening=calendar.next_opening(now),
        on_shift=list(qualifiers_on_shift(team=team, now=now, calendar=calendar)),
        counts=counts,
        urgent=list(
            listed.filter(sla_state__in=[SlaState.WARNED, SlaState.BREACHED]).order_by("sla_breach_at", "pk")[:limit]
        ),
        pending=list(listed.filter(sla_state=SlaState.PENDING).order_by("sla_warn_at", "pk")[:limit]),
        # by the deadline, not by sla_breached_at: a late call that beat the breach check is a breach too
        breaches_today=Lead.objects.filter(
            qualification_team=team,
            sla_state__in=[SlaState.BREACHED, SlaState.MET_LATE],
            sla_breach_at__gte=day_start,
            sla_breach_at__lt=day_end,
        ).count(),
        called_today=called["total"],
        met_today=called["met"],
        median_today=median_duration(called_today, start="received_at", end="first_call_at"),
    )


def sla_panel_teams(*, user):
    """The qualification teams a user may watch: a director all, a team lead their own team."""
    teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("name")
    if user.is_superuser or roles.has_role(user, roles.DIRECTOR):
        return teams
    profile = getattr(user, "profile", None)
    team_id = profile.team_id if profile is not None else None
    return teams.filter(Q(pk=team_id) | Q(lead=user))
