"""One POST view per board move. Each validates a form, calls one service and says what happened."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from leadflow import access, links
from leadflow.models import Lead
from leadflow.people import display_name

from .. import selectors, services
from ..exceptions import EntryRefused, UnusualAmount, VisitClash
from ..forms import (
    DealCorrectForm,
    DealReopenForm,
    DisputeForm,
    LoseForm,
    NoShowForm,
    ReassignForm,
    VisitRescheduleForm,
    VisitScheduleForm,
    WinForm,
)
from ..models import Visit
from .board import render_deal
from .common import post_action
from .kit import measurement_form, render_measurement


def _deal(request, pk):
    return access.deal_for_actor(
        lead_id=pk, actor=request.user, queryset=Lead.objects.only("pk", "sales_rep_id", "name", "phone")
    )


def _invalid(request, pk, name, form):
    return render_deal(request, pk, bound={name: form}, status=400)


def _refused_entry(request, pk, name, form, refusal):
    """A typed value failed a sanity rule: the form again, the values as typed, the message at its field."""
    form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal.message))
    return _invalid(request, pk, name, form)


@post_action
def accept(request, pk):
    lead = _deal(request, pk)
    services.handoff_accept(lead_id=pk, actor=request.user)
    return _("Hand-off accepted: %(lead)s") % {"lead": lead}, reverse("sales:index")


@post_action
def dispute(request, pk):
    lead = _deal(request, pk)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "dispute", form)
    services.handoff_dispute(
        lead_id=pk, actor=request.user, reason=form.cleaned_data["reason"], comment=form.cleaned_data["comment"]
    )
    return _("Dispute sent to arbitration: %(lead)s") % {"lead": lead}, reverse("sales:index")


@post_action
def schedule(request, pk):
    lead = _deal(request, pk)
    form = VisitScheduleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "schedule", form)
    services.visit_schedule(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Measurement booked: %(lead)s") % {"lead": lead}, links.deal_url(pk)


@post_action
def measure(request, pk):
    """The measurement page's form (kit values, photos, quote); errors come back on that page."""
    lead = access.deal_for_actor(lead_id=pk, actor=request.user)
    form = measurement_form(lead, request.POST, request.FILES)
    if not form.is_valid():
        return render_measurement(request, pk, form=form, status=400)
    try:
        services.lead_record_measurement(lead_id=pk, actor=request.user, **form.service_arguments())
    except EntryRefused as refusal:
        form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal.message))
        return render_measurement(request, pk, form=form, status=400)
    return _("Measurement recorded: %(lead)s") % {"lead": lead}, links.deal_url(pk)


@post_action
def win(request, pk):
    lead = _deal(request, pk)
    form = WinForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "win", form)
    try:
        services.lead_win(lead_id=pk, actor=request.user, **form.cleaned_data)
    except UnusualAmount as refusal:
        form = WinForm(request.POST, ask_confirmation=True)
        form.is_valid()
        return _refused_entry(request, pk, "win", form, refusal)
    except EntryRefused as refusal:
        return _refused_entry(request, pk, "win", form, refusal)
    return _("Deal won: %(lead)s") % {"lead": lead}, reverse("sales:index") + "?column=won"  # that tab on a phone


@post_action
def lose(request, pk):
    lead = _deal(request, pk)
    form = LoseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "lose", form)
    services.lead_lose(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Deal lost: %(lead)s") % {"lead": lead}, reverse("sales:index") + "?column=lost"


@post_action
def reassign(request, pk):
    lead = _deal(request, pk)
    form = ReassignForm(request.POST, reps=selectors.sales_reps())
    if not form.is_valid():
        return _invalid(request, pk, "reassign", form)
    try:
        services.deal_reassign(lead_id=pk, actor=request.user, **form.cleaned_data)
    except VisitClash as refusal:
        # the new rep is busy at the booked visit: the same form, with their free slots to pick from
        form = ReassignForm(request.POST, reps=selectors.sales_reps(), slots=refusal.slots)
        form.is_valid()
        form.errors.pop("visit_starts_at", None)
        form.add_error(None, str(refusal.message))
        return _invalid(request, pk, "reassign", form)
    rep = form.cleaned_data["sales_rep"]
    return _("Deal %(lead)s reassigned to %(rep)s") % {
        "lead": lead,
        "rep": display_name(rep),
    }, reverse("sales:index")


@post_action
def correct(request, pk):
    lead = _deal(request, pk)
    form = DealCorrectForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "correct", form)
    services.deal_correct(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Deal corrected: %(lead)s") % {"lead": lead}, links.deal_url(pk)


@post_action
def reopen(request, pk):
    lead = _deal(request, pk)
    form = DealReopenForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "reopen", form)
    services.deal_reopen(lead_id=pk, actor=request.user, **form.cleaned_data)
    return _("Deal back in work: %(lead)s") % {"lead": lead}, links.deal_url(pk)


def _visit(request, pk):
    visit = get_object_or_404(Visit.objects.select_related("lead"), pk=pk)
    access.ensure_visit_rep(visit=visit, actor=request.user)
    return visit


@post_action
def reschedule(request, pk):
    visit = _visit(request, pk)
    form = VisitRescheduleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, visit.lead_id, "reschedule", form)
    services.visit_reschedule(visit_id=pk, actor=request.user, **form.cleaned_data)
    return _("Measurement rescheduled: %(lead)s") % {"lead": visit.lead}, links.deal_url(visit.lead_id)


@post_action
def no_show(request, pk):
    visit = _visit(request, pk)
    form = NoShowForm(request.POST)
    form.is_valid()
    services.visit_mark_no_show(visit_id=pk, actor=request.user, note=form.cleaned_data.get("note", ""))
    return _("No-show recorded: %(lead)s") % {"lead": visit.lead}, links.deal_url(visit.lead_id)
