"""The live SLA panel of the qualification lead (and the director)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from leadflow import access, live
from leadflow.exceptions import PermissionRefused
from leadflow.selectors import engine_status

from ..selectors import team_qualifiers
from ..sla import sla_panel_get, sla_panel_teams


@login_required
def sla_panel(request):
    if not access.is_queue_manager(request.user):
        raise PermissionRefused(_("The SLA panel is for the qualification lead and the director."))
    teams = list(sla_panel_teams(user=request.user))
    if not teams:
        raise PermissionRefused(_("You lead no qualification team."))
    chosen = request.GET.get("team", "")
    team = next((t for t in teams if str(t.pk) == chosen), teams[0])
    panel = sla_panel_get(team=team)
    template = "qualification/_sla_panel.html" if live.is_poll(request) else "qualification/sla_panel.html"
    return render(
        request,
        template,
        {
            "panel": panel,
            "teams": teams,
            "engine": engine_status(),
            "qualifiers": list(team_qualifiers(team_id=team.pk)),  # whom a lead can be reassigned to
            "page_title": _("Callback SLA"),
        },
    )
