"""Who is on shift: the qualifiers a warning goes to and a breached lead is reassigned to."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Team
from leadflow.workhours import WorkCalendar


class SlaContext:
    """Per-run cache of teams and calendars, so a sweep over many leads reads each team once."""

    def __init__(self):
        self._teams = {}
        self._calendars = {}
        self._on_shift = {}

    def team(self, team_id):
        if team_id not in self._teams:
            self._teams[team_id] = Team.objects.select_related("lead").prefetch_related("working_hours").get(pk=team_id)
        return self._teams[team_id]

    def calendar(self, team):
        if team.pk not in self._calendars:
            self._calendars[team.pk] = WorkCalendar.for_team(team)
        return self._calendars[team.pk]

    def on_shift(self, team, now):
        """The team's on-shift qualifiers, read once per run; `held` is kept current as we assign."""
        if team.pk not in self._on_shift:
            self._on_shift[team.pk] = list(qualifiers_on_shift(team=team, now=now, calendar=self.calendar(team)))
        return self._on_shift[team.pk]

    def next_free(self, team, now, *, exclude_id=None):
        candidates = [user for user in self.on_shift(team, now) if user.pk != exclude_id]
        if not candidates:
            return None
        oldest = datetime.min.replace(tzinfo=now.tzinfo)
        return min(candidates, key=lambda u: (u.held, u.profile.last_assigned_at or oldest, u.pk))


def qualifiers_on_shift(*, team, now=None, calendar=None):
    """Qualifiers of the team who are active and available, while the team's calendar is open.

    Ordered "next free" first: fewest leads held in qualification, then longest since their last
    assignment, so reassignment spreads the load.
    """
    now = now or timezone.now()
    calendar = calendar or WorkCalendar.for_team(team)
    users = get_user_model().objects
    if not calendar.is_open_at(now):
        return users.none()
    # a correlated count on lead_qualifier_idx (qualifier, status): never a scan of closed leads
    held = (
        Lead.objects.filter(qualifier=OuterRef("pk"), status=LeadStatus.QUALIFYING)
        .order_by()
        .values("qualifier")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        users.filter(
            is_active=True,
            groups__name=roles.QUALIFIER,
            profile__team=team,
            profile__is_available=True,
        )
        .annotate(held=Coalesce(Subquery(held), 0))
        .select_related("profile")
        .order_by("held", F("profile__last_assigned_at").asc(nulls_first=True), "pk")
    )
