"""The live SLA panel of the qualification lead (and the director)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.selectors import engine_status

from .selectors import team_qualifiers
from .sla import sla_panel_get, sla_panel_teams


@login_required
def sla_panel(request):
    if not roles.has_role(request.user, roles.QUALIFICATION_LEAD, roles.DIRECTOR):
        raise PermissionDenied(_("The SLA panel is for the qualification lead and the director."))
    teams = list(sla_panel_teams(user=request.user))
    if not teams:
        raise PermissionDenied(_("You lead no qualification team."))
    chosen = request.GET.get("team", "")
    team = next((t for t in teams if str(t.pk) == chosen), teams[0])
    panel = sla_panel_get(team=team)
    return render(
        request,
        "qualification/sla_panel.html",
        {
            "panel": panel,
            "teams": teams,
            "engine": engine_status(),
            "qualifiers": list(team_qualifiers(team_id=team.pk)),  # whom a lead can be reassigned to
            "page_title": _("Callback SLA"),
        },
    )
