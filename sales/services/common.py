"""Helpers shared by the deal board's services: who owns a deal, who is told about it."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import Team
from leadflow.people import display_name

from ..exceptions import PermissionRefused


def is_board_manager(user):
    return roles.has_role(user, roles.SALES_MANAGER, roles.DIRECTOR)


def ensure_deal_owner(*, lead, actor):
    """A rep acts only on their own deals; the sales manager (and director) on every deal."""
    if (lead.sales_rep_id is not None and lead.sales_rep_id == actor.pk) or is_board_manager(actor):
        return
    raise PermissionRefused(_("This deal belongs to another sales rep."))


def qualification_team_ids_led_by(actor):
    """The qualification teams a qualification lead answers for: their own team and any team they lead."""
    profile_team = Team.objects.filter(members__user=actor, kind=Team.Kind.QUALIFICATION).values_list("pk", flat=True)
    led = Team.objects.filter(lead=actor, kind=Team.Kind.QUALIFICATION).values_list("pk", flat=True)
    return frozenset(profile_team) | frozenset(led)


def arbitration_scope(actor):
    """The qualification teams whose disputes `actor` decides: None = every team (the sales manager,
    who works the whole board, and the director); a qualification lead only their own team's."""
    if actor.is_superuser or roles.has_role(actor, roles.SALES_MANAGER, roles.DIRECTOR):
        return None
    return qualification_team_ids_led_by(actor)


def ensure_arbiter(actor, *, lead=None):
    if not roles.can_arbitrate(None, actor):
        raise PermissionRefused(_("Only the sales manager or the qualification lead can arbitrate disputes."))
    scope = arbitration_scope(actor) if lead is not None else None
    if scope is not None and lead.qualification_team_id not in scope:
        raise PermissionRefused(_("This dispute is about a lead of another qualification team."))


def sales_team_of(lead):
    """The sales team that works the lead: the rep's team, else the one the qualification team feeds."""
    rep = lead.sales_rep
    team_id = getattr(getattr(rep, "profile", None), "team_id", None) if rep else None
    if team_id:
        return Team.objects.get(pk=team_id)
    qualification_team = Team.objects.select_related("sales_team").get(pk=lead.qualification_team_id)
    return qualification_team.sales_team


def _people_with_role(role, team):
    users = get_user_model().objects.filter(is_active=True, groups__name=role)
    if team is not None:
        users = users.filter(Q(profile__team=team) | Q(led_teams=team))
    return users.distinct()


def sales_managers(team):
    """The sales managers of `team` (or its team lead); every sales manager if the team has none."""
    people = list(_people_with_role(roles.SALES_MANAGER, team))
    if team is not None and team.lead_id and team.lead not in people and team.lead.is_active:
        people.append(team.lead)
    return people or list(_people_with_role(roles.SALES_MANAGER, None))


def qualification_leads(team):
    people = list(_people_with_role(roles.QUALIFICATION_LEAD, team))
    if team is not None and team.lead_id and team.lead not in people and team.lead.is_active:
        people.append(team.lead)
    return people or list(_people_with_role(roles.QUALIFICATION_LEAD, None))


def person_name(user):
    if user is None:
        return _("the system")
    return display_name(user)


def deal_url(lead):
    return reverse("sales:deal", args=[lead.pk])
