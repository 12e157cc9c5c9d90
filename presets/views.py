"""The first-run wizard (/setup/): the director picks the business and names the teams with their hours;
the preset is applied and what changed is shown."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from leadflow import access, vertical

from .forms import SetupForm
from .services import preset_apply


@never_cache
@login_required
def wizard(request):
    access.ensure_may_set_up(request.user)
    form = SetupForm(request.POST or None, initial={"preset": vertical.current().code})
    if request.method == "POST" and form.is_valid():
        summary = preset_apply(name=form.cleaned_data["preset"], actor=request.user, teams=form.team_specs())
        return render(request, "presets/done.html", {"summary": summary, "page_title": _("Set up")})
    status = 400 if request.method == "POST" else 200
    return render(request, "presets/wizard.html", {"form": form, "page_title": _("Set up")}, status=status)
