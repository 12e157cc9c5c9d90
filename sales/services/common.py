"""Helpers shared by the deal board's services: who works a deal, who is told about it (who may do
what is `leadflow.access`)."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import Team
from leadflow.people import display_name
from qualification.selectors import sales_team_for


def sales_team_of(lead):
    """The sales team that works the lead: the rep's team, else the one its qualification team routes it to."""
    rep = lead.sales_rep
    team_id = getattr(getattr(rep, "profile", None), "team_id", None) if rep else None
    if team_id:
        return Team.objects.get(pk=team_id)
    return sales_team_for(lead)  # where the hand-off routes send it


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
