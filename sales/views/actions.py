"""One POST view per board move. Each validates a form, calls one service and says what happened."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from leadflow.models import Lead
from leadflow.people import display_name

from .. import selectors, services
from ..forms import (
    DisputeForm,
    LoseForm,
    MeasurementForm,
    NoShowForm,
    ReassignForm,
    VisitRescheduleForm,
    VisitScheduleForm,
    WinForm,
)
from ..models import Visit
from .board import render_deal
from .common import forbidden, may_work_deal, post_action


def _deal(request, pk):
    lead = get_object_or_404(Lead.objects.only("pk", "sales_rep_id", "name", "phone"), pk=pk)
    if not may_work_deal(request.user, lead):
        return lead, forbidden(request, _("This deal belongs to another sales rep."))
    return lead, None


def _invalid(request, pk, name, form):
    return render_deal(request, pk, bound={name: form}, status=400)


def _deal_url(pk):
    return reverse("sales:deal", args=[pk])


@post_action
def accept(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    services.handoff_accept(lead_id=pk, actor=request.user)
    return _("Hand-off accepted: %(lead)s") % {"lead": lead}, reverse("sales:index")


@post_action
def dispute(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    form = DisputeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "dispute", form)
    services.handoff_dispute(
        lead_id=pk, actor=request.user, reason=form.cleaned_data["reason"], comment=form.cleaned_data["comment"]
    )
    return _("Dispute sent to arbitration: %(lead)s") % {"lead": lead}, reverse("sales:index")


@post_action
def schedule(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    form = VisitScheduleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "schedule", form)
    services.visit_schedule(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Measurement booked: %(lead)s") % {"lead": lead}, _deal_url(pk)


@post_action
def measure(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    form = MeasurementForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "measure", form)
    services.lead_record_measurement(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Measurement recorded: %(lead)s") % {"lead": lead}, _deal_url(pk)


@post_action
def win(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    form = WinForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "win", form)
    services.lead_win(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Deal won: %(lead)s") % {"lead": lead}, reverse("sales:index")


@post_action
def lose(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    form = LoseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "lose", form)
    services.lead_lose(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Deal lost: %(lead)s") % {"lead": lead}, reverse("sales:index")


@post_action
def reassign(request, pk):
    lead, denied = _deal(request, pk)
    if denied:
        return denied
    form = ReassignForm(request.POST, reps=selectors.sales_reps())
    if not form.is_valid():
        return _invalid(request, pk, "reassign", form)
    services.deal_reassign(lead_id=pk, actor=request.user, **form.cleaned_data)
    rep = form.cleaned_data["sales_rep"]
    return _("Deal %(lead)s reassigned to %(rep)s") % {
        "lead": lead,
        "rep": display_name(rep),
    }, reverse("sales:index")


def _visit(request, pk):
    visit = get_object_or_404(Visit.objects.select_related("lead"), pk=pk)
    if not (may_work_deal(request.user, visit.lead) or visit.rep_id == request.user.pk):
        return visit, forbidden(request, _("This deal belongs to another sales rep."))
    return visit, None


@post_action
def reschedule(request, pk):
    visit, denied = _visit(request, pk)
    if denied:
        return denied
    form = VisitRescheduleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, visit.lead_id, "reschedule", form)
    services.visit_reschedule(visit_id=pk, actor=request.user, **form.cleaned_data)
    return _("Measurement rescheduled: %(lead)s") % {"lead": visit.lead}, _deal_url(visit.lead_id)


@post_action
def no_show(request, pk):
    visit, denied = _visit(request, pk)
    if denied:
        return denied
    form = NoShowForm(request.POST)
    form.is_valid()
    services.visit_mark_no_show(visit_id=pk, actor=request.user, note=form.cleaned_data.get("note", ""))
    return _("No-show recorded: %(lead)s") % {"lead": visit.lead}, _deal_url(visit.lead_id)
