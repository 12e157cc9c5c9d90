"""The rep's day on a phone ("Сегодня"): today's visits in order, what was agreed on the call, and
one-tap actions (call, route in Yandex Maps or 2GIS, running late, start the measurement)."""

from datetime import timedelta
from urllib.parse import quote

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access
from leadflow.models import LeadStatus

from .. import selectors, services
from ..exceptions import TransitionRefused
from ..forms import RunningLateForm
from ..models import Visit
from ..scheduling import LATE_CHOICES
from .calendar import _parse_day
from .common import board_required, post_action


def map_links(address):
    """Universal links that open the address in the map apps on a phone (their sites elsewhere); no API key."""
    if not address:
        return {}
    return {
        "yandex": f"https://yandex.ru/maps/?text={quote(address)}",
        "dgis": f"https://2gis.ru/search/{quote(address, safe='')}",
    }


@board_required
def today(request):
    """A rep's own day; the sales manager (and director) a chosen rep's, or every rep's."""
    rep = access.day_rep_for_actor(actor=request.user, rep_id=request.GET.get("rep", ""))
    real_today = timezone.localdate()
    day = _parse_day(request.GET.get("day"), real_today)
    manager = access.is_board_manager(request.user)
    rows = selectors.day_visits(day=day, rep=rep)
    for row in rows:
        row.maps = map_links(row.address)
        row.may_act = row.visit.status == Visit.Status.SCHEDULED and row.lead.status == LeadStatus.HANDED_OFF
    context = {
        "rows": rows,
        "day": day,
        "is_today": day == real_today,
        "prev_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "rep": rep,
        "reps": list(selectors.sales_reps()) if manager else [],
        "is_manager": manager,
        "late_choices": LATE_CHOICES,
        "now": timezone.now(),
        "page_title": _("Today") if day == real_today else _("Visits of the day"),
    }
    return render(request, "sales/today.html", context)


@post_action
def running_late(request, pk):
    form = RunningLateForm(request.POST)
    if not form.is_valid():
        raise TransitionRefused(_("Choose how late you are from the list."))
    visit = services.visit_report_late(visit_id=pk, actor=request.user, minutes=form.cleaned_data["minutes"])
    message = _("Sent: running %(minutes)s min late. The qualifier and the sales manager are told.") % {
        "minutes": visit.late_minutes
    }
    return message, reverse("sales:today")
