"""Who sees what in the reports (the rules of who is who live in `leadflow.access`).

- director (and superuser): every team and person;
- qualification lead: the leads of their qualification team and its people;
- sales manager: the leads their sales team works (handed to its reps, or coming from the
  qualification teams that feed it) and its people; on hand-off quality also the qualifiers of the
  feeding teams, because the manager arbitrates their hand-offs;
- qualifier and sales rep: only "My stats" (their own figures).

"Criteria and outcomes" is narrower: the director (every team) and the qualification lead (their own
team) — the people who own the criteria; never the sales side, qualifiers or reps. The lead may try
a rule on their team's history; only the director promotes a rule into a new checklist version.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from leadflow import access, roles
from leadflow.models import Team

from .selectors import Scope

NOTHING = Q(pk__in=[])


def report_scope(user):
    if access.is_director(user):
        return Scope()
    team = access.team_of(user)
    if team is None:
        return Scope(lead_q=NOTHING, team_ids=frozenset())
    if roles.has_role(user, roles.QUALIFICATION_LEAD) and team.kind == Team.Kind.QUALIFICATION:
        return Scope(lead_q=Q(qualification_team_id=team.pk), team_ids=frozenset({team.pk}))
    if roles.has_role(user, roles.SALES_MANAGER) and team.kind == Team.Kind.SALES:
        feeding = frozenset(Team.objects.filter(sales_team=team).values_list("pk", flat=True))
        return Scope(
            lead_q=Q(qualification_team__sales_team_id=team.pk) | Q(sales_rep__profile__team_id=team.pk),
            team_ids=frozenset({team.pk}),
            extra_people_team_ids=feeding,
        )
    return Scope(lead_q=NOTHING, team_ids=frozenset())


def reports_required(view):
    """Team leads, sales managers and the director; everyone else gets a 403 with the reason."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.may_view_reports(request.user):
            raise PermissionDenied(_("The reports are for team leads, sales managers and the director."))
        request.report_scope = report_scope(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def staffing_required(view):
    """The staffing planner and the roster: the qualification lead (own team) and the director; sets
    `request.planned_teams` (a queryset of the qualification teams the person plans)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.may_plan_staffing(request.user):
            raise PermissionDenied(_("The staffing planner is for the qualification lead and the director."))
        team_ids = access.planned_team_ids(request.user)
        teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True)
        request.planned_teams = teams if team_ids is None else teams.filter(pk__in=team_ids)
        return view(request, *args, **kwargs)

    return wrapper


def may_view_criteria(user):
    return access.is_director(user) or roles.has_role(user, roles.QUALIFICATION_LEAD)


def may_promote_criteria(user):
    return access.is_director(user)


def criteria_required(view):
    """The director and qualification leads; everyone else gets a 403 with the reason."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not may_view_criteria(request.user):
            raise PermissionDenied(_("Criteria and outcomes are for the director and the qualification team lead."))
        request.report_scope = report_scope(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def company_spend_required(view):
    """Marketing spend and source economics: the director and superusers (leadflow.access)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.may_view_company_spend(request.user):
            raise PermissionDenied(_("Marketing spend and source economics are for the director."))
        request.report_scope = report_scope(request.user)
        return view(request, *args, **kwargs)

    return wrapper
