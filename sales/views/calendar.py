"""The week calendar of visits and the free-slot booking page (also used by the qualifier on a call)."""

from collections import defaultdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from leadflow import access
from leadflow.exceptions import PermissionRefused, TransitionRefused
from leadflow.models import Lead, LeadStatus
from leadflow.people import display_name
from leadflow.workhours import WorkCalendar

from .. import selectors, services
from ..forms import DATETIME_LOCAL, SlotBookForm
from ..models import Visit
from ..services.common import sales_team_of
from ..services.visits import ensure_may_book
from .common import board_required, post_action

SLOT_DAYS = 7


def _parse_day(value, default):
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@board_required
def calendar(request):
    """A week of visits: the rep's own, or (sales manager) the whole team or one rep. On a phone (or with
    ?view=day) one day as an agenda, with the previous and next day; ?day= picks it (and its week)."""
    user = request.user
    today = timezone.localdate()
    wanted_day = _parse_day(request.GET.get("day"), None)
    start = selectors.week_start(wanted_day or _parse_day(request.GET.get("week"), today))
    agenda_day = wanted_day or (today if start <= today < start + timedelta(days=7) else start)
    wanted = request.GET.get("rep", "")
    manager = access.is_board_manager(user)
    all_reps = list(selectors.sales_reps()) if manager else []
    if manager:
        chosen = [rep for rep in all_reps if str(rep.pk) == wanted]
        reps = chosen or all_reps
    else:
        if wanted and wanted != str(user.pk):
            raise PermissionRefused(_("You can only see your own calendar."))
        reps = [user]
    days, grid = selectors.week_calendar(start=start, reps=reps)
    team = selectors.default_sales_team()
    work_calendar = WorkCalendar.for_team(team) if team else None
    closed_days = {day for day in days if work_calendar and work_calendar.window_on(day) is None}
    rows = [{"rep": rep, "days": [(day, grid[rep.pk][day]) for day in days]} for rep in reps]
    agenda = sorted(
        (visit for rep in reps for visit in grid[rep.pk].get(agenda_day, [])), key=lambda v: (v.starts_at, v.pk)
    )
    context = {
        "rows": rows,
        "days": days,
        "closed_days": closed_days,
        "today": today,
        "start": start,
        "end": start + timedelta(days=6),
        "prev_week": start - timedelta(days=7),
        "next_week": start + timedelta(days=7),
        "all_reps": all_reps,
        "rep_filter": wanted,
        "is_team": manager and len(reps) > 1,
        "visit_count": sum(len(visits) for row in rows for _day, visits in row["days"]),
        "agenda_day": agenda_day,
        "agenda": agenda,
        "agenda_closed": agenda_day in closed_days,
        "prev_day": agenda_day - timedelta(days=1),
        "next_day": agenda_day + timedelta(days=1),
        "day_view": request.GET.get("view") == "day",
        "page_title": _("Measurement calendar"),
    }
    return render(request, "sales/calendar.html", context)


def _slot_context(request, lead, *, form=None):
    start = max(_parse_day(request.GET.get("start"), timezone.localdate()), timezone.localdate())
    rep = lead.sales_rep if lead.status == LeadStatus.HANDED_OFF else None
    wanted = request.GET.get("rep", "")
    if rep is None and wanted.isdigit():
        rep = get_user_model().objects.filter(pk=int(wanted), is_active=True).first()
    booked = Visit.objects.filter(lead=lead, status=Visit.Status.SCHEDULED).select_related("rep").first()
    days = []
    if booked is None:
        slots = selectors.visit_free_slots(sales_team=sales_team_of(lead), start=start, days=SLOT_DAYS, rep=rep)
        by_day = defaultdict(lambda: defaultdict(list))
        for slot in slots:
            local = timezone.localtime(slot.starts_at)
            by_day[local.date()][slot.rep].append((local, f"{slot.rep.pk}|{local.strftime(DATETIME_LOCAL)}"))
        days = [(day, list(reps.items())) for day, reps in sorted(by_day.items())]
    return {
        "lead": lead,
        "booked": booked,
        "days": days,
        "start": start,
        "prev_start": max(start - timedelta(days=SLOT_DAYS), timezone.localdate()),
        "next_start": start + timedelta(days=SLOT_DAYS),
        "form": form or SlotBookForm(initial={"lead": lead.pk, "address": lead.address}),
        "can_hand_off": lead.status in (LeadStatus.QUALIFYING, LeadStatus.QUALIFIED),
        "hand_off_blockers": _hand_off_blockers(lead),
        "next": request.GET.get("next", ""),
        "page_title": _("Book a measurement: %(lead)s") % {"lead": lead},
    }


def _hand_off_blockers(lead):
    """Why "Book and hand off" would be refused now (the qualify transition's own hints)."""
    if lead.status != LeadStatus.QUALIFYING:
        return []
    return [capfirst(hint) for hint in lead.refusal_hints("qualify")]


def _bookable_lead(request, lead_id):
    """(lead, None), or (lead, the page saying why it cannot be booked now); PermissionRefused rises."""
    lead = get_object_or_404(Lead.objects.select_related("sales_rep"), pk=lead_id)
    try:
        ensure_may_book(lead=lead, actor=request.user)
    except TransitionRefused as exc:
        return lead, render(request, "sales/slots.html", {"lead": lead, "refused": exc.message}, status=409)
    return lead, None


@login_required
def slots(request):
    """Free slots of the reps for the lead in ?lead=<id>: the qualifier holding it books during the call."""
    lead_id = request.GET.get("lead", "")
    if not lead_id.isdigit():
        raise PermissionRefused(_("Open this page from a lead."))
    lead, denied = _bookable_lead(request, int(lead_id))
    if denied:
        return denied
    return render(request, "sales/slots.html", _slot_context(request, lead))


def _booking_input(request):
    """(lead, form, None) when the form is valid, else (lead, form, the page to answer with)."""
    form = SlotBookForm(request.POST)
    lead_id = request.POST.get("lead", "")
    if not lead_id.isdigit():
        raise PermissionRefused(_("Open this page from a lead."))
    lead, denied = _bookable_lead(request, int(lead_id))
    if denied:
        return lead, form, denied
    if not form.is_valid():
        return lead, form, render(request, "sales/slots.html", _slot_context(request, lead, form=form), status=400)
    return lead, form, None


def _refused_with_input(request, lead, form, exc):
    """A refusal (a taken slot, a criterion that fails) answered on the page with what was typed kept."""
    form.add_error(None, exc.message)
    return render(request, "sales/slots.html", _slot_context(request, lead, form=form), status=409)


def _booked_message(visit, rep):
    return _("Measurement booked: %(when)s with %(rep)s") % {
        "when": timezone.localtime(visit.starts_at).strftime("%d.%m.%Y %H:%M"),
        "rep": display_name(rep),
    }


@post_action
def book(request):
    lead, form, answered = _booking_input(request)
    if answered:
        return answered
    rep_id, starts_at = form.cleaned_data["slot"]
    rep = get_user_model().objects.filter(pk=rep_id).first()
    try:
        visit = services.visit_schedule(
            lead_id=lead.pk,
            actor=request.user,
            rep=rep,
            starts_at=starts_at,
            address=form.cleaned_data["address"],
            note=form.cleaned_data["note"],
            hand_off=form.cleaned_data["hand_off"],
        )
    except TransitionRefused as exc:
        return _refused_with_input(request, lead, form, exc)
    return _booked_message(visit, rep), f"{reverse('sales:slots')}?lead={lead.pk}"


@post_action
def book_and_hand_off(request):
    """Book the slot and qualify + hand off in one submit; the qualifier lands back in the queue."""
    lead, form, answered = _booking_input(request)
    if answered:
        return answered
    rep_id, starts_at = form.cleaned_data["slot"]
    rep = get_user_model().objects.filter(pk=rep_id).first()
    try:
        visit = services.visit_book_and_hand_off(
            lead_id=lead.pk,
            actor=request.user,
            rep=rep,
            starts_at=starts_at,
            address=form.cleaned_data["address"],
            note=form.cleaned_data["note"],
        )
    except TransitionRefused as exc:
        return _refused_with_input(request, lead, form, exc)
    if visit.lead.status == LeadStatus.HANDED_OFF:
        done = _("Qualified and handed off to %(rep)s.") % {"rep": display_name(visit.lead.sales_rep)}
    else:
        done = _("Qualified. The qualification lead will choose the sales rep.")
    return f"{_booked_message(visit, rep)}. {done}", reverse("qualification:index")
