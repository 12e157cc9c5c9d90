"""The qualifier's workspace. Thin views: a form validates, a selector reads, one service writes."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from leadflow import access, hotcache, live
from leadflow.middleware import refusal_returns_to, safe_next
from leadflow.models import LeadStatus, Reason, all_criteria_pass
from leadflow.people import display_name
from leadflow.selectors import engine_status

from .. import selectors, services
from ..exceptions import PermissionRefused
from ..filters import QueueFilter
from ..forms import CallAttemptForm, ChecklistForm, DisqualifyForm, QualifyForm, ReassignForm
from ..models import CallAttempt
from ..tables import HandoffTable, QueueTable, handoff_outcome

QUEUE_PAGE_SIZE = 25
POLL_SECONDS = 15


def queue_access(view):
    """Logged in and working the queue (qualifier, qualification lead, director). A service's refusal
    rises to leadflow.middleware.DomainErrorMiddleware: the 403 page, or a message where the person was."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.works_queue(request.user):
            raise PermissionRefused(_("The queue is for the qualification team."))
        return view(request, *args, **kwargs)

    return wrapper


def _form_errors(request, form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# --- the queue -----------------------------------------------------------------------------------


@queue_access
def index(request):
    user = request.user
    team_id = access.team_id_of(user)
    if team_id is None:
        return render(request, "qualification/no_team.html", {"page_title": _("Queue")})
    manager = access.is_queue_manager(user)
    queue = QueueFilter(request.GET or None, queryset=selectors.queue_for_user(user=user, team_id=team_id))
    table = QueueTable(queue.qs, user=user, manager=manager, click_to_call=selectors.click_to_call_ready(user))
    table.csrf_token = get_token(request)
    RequestConfig(request, paginate={"per_page": QUEUE_PAGE_SIZE}).configure(table)
    context = {"table": table, "filter": queue, "poll_seconds": POLL_SECONDS, "manager": manager}
    if manager:  # the SLA engine's banner, refreshed with the table
        context["engine"] = engine_status()
    if live.is_poll(request):  # the table alone (leadflow/live.py)
        return render(request, "qualification/_queue_table.html", context)
    context.update(
        page_title=_("Queue"),
        counts=selectors.queue_counts(user=user, team_id=team_id),
        team_load=selectors.team_load_rows(team_id=team_id) if manager else None,
        filter_fields=_filter_fields(queue),
    )
    return render(request, "qualification/index.html", context)


def _filter_fields(queue):
    """The filter form's fields as HTML. With no filter in the query string (the queue as it opens, any
    page of it) they are the same for everyone: rendered once per language and kept a few seconds per
    process (leadflow.hotcache; saving a source clears it). Seven widgets cost ~4.7 ms of CPU per page."""
    fields = queue.form.fields
    if queue.is_bound and any(name in queue.data for name in fields):
        return render_to_string("qualification/_queue_filter_fields.html", {"filter": queue})
    return hotcache.get_or_load(
        ("queue-filter-fields", get_language()),
        lambda: render_to_string("qualification/_queue_filter_fields.html", {"filter": QueueFilter(None)}),
    )


@queue_access
@require_POST
@refusal_returns_to("qualification:index")
def lead_next(request):
    lead = services.lead_claim_next(actor=request.user)
    if lead is None:
        messages.info(request, _("No unclaimed leads right now. New ones appear in the queue by themselves."))
        return redirect("qualification:index")
    return redirect("qualification:lead", lead_id=lead.pk)


@queue_access
@require_POST
@refusal_returns_to("qualification:index")
def lead_claim(request, lead_id):
    lead = services.lead_claim(lead_id=lead_id, actor=request.user)
    return redirect("qualification:lead", lead_id=lead.pk)


# --- the lead card -------------------------------------------------------------------------------


def _visible_lead(request, lead_id):
    return access.lead_for_actor(lead_id=lead_id, actor=request.user, load=selectors.lead_for_card_by_id)


@queue_access
def lead_detail(request, lead_id):
    lead = _visible_lead(request, lead_id)
    return render(request, "qualification/lead.html", _card_context(request, lead))


def _card_context(request, lead, *, call_form=None, checklist_form=None):
    """The card's context. A form the page does not show for the lead's status is not built (None), so
    its choices are not read: the decision forms only while the lead is new or in qualification, the
    hand-off form once it is qualified, the reassign form for a manager while new or in qualification
    (the template's conditions, templates/qualification/lead.html)."""
    user = request.user
    manager = access.is_queue_manager(user)
    holder = lead.qualifier_id == user.pk
    can_act = lead.status == LeadStatus.QUALIFYING and (holder or manager)
    deciding = lead.status in (LeadStatus.NEW, LeadStatus.QUALIFYING)  # the "Decision" card is shown
    team = lead.qualification_team
    checklist = selectors.active_checklist_for_card(team_id=team.pk)
    state = selectors.checklist_state(lead=lead, checklist=checklist)
    attempts = list(selectors.call_attempts(lead_id=lead.pk))
    failed = sum(1 for a in attempts if a.failed)
    qualify_blockers = []
    if lead.status != LeadStatus.QUALIFYING:
        qualify_blockers.append(_("The lead is “%s”.") % lead.get_status_display())
    elif not can_act:
        qualify_blockers.append(_("Take the lead first."))
    else:
        # the qualify transition's own refusal hints; the checklist rows below detail its criteria guard
        qualify_blockers += [capfirst(hint) for hint in lead.refusal_hints("qualify", skip=[all_criteria_pass])]
    if checklist is None:
        qualify_blockers.append(_("The team has no active criteria checklist."))
    else:
        if state.missing:
            qualify_blockers.append(
                _("Not answered yet: %s.") % ", ".join(c.question.rstrip("?") for c in state.missing)
            )
        for row in state.failing_required:
            question = row.criterion.question.rstrip("?")
            qualify_blockers.append(_("Fails: %(q)s — %(a)s.") % {"q": question, "a": row.display})
    qualified = lead.status == LeadStatus.QUALIFIED
    reps = _reps_for(user, lead) if deciding or qualified else None
    suggested = state.suggested_reason
    click_to_call = selectors.click_to_call_ready(user)
    return {
        "page_title": str(lead),
        "lead": lead,
        "manager": manager,
        "holder": holder,
        "can_act": can_act,
        "can_claim": lead.status == LeadStatus.NEW and lead.qualifier_id is None,
        "history": selectors.lead_history_rows(lead=lead),
        "inquiries": list(selectors.phone_inquiries(lead=lead)),
        "attempts": attempts,
        "failed_attempts": failed,
        "max_failed_attempts": team.max_failed_attempts,
        "can_unreachable": can_act and failed >= team.max_failed_attempts,
        "script": selectors.call_script_for_card(team_id=team.pk),
        "checklist": checklist,
        "checklist_state": state,
        "checklist_form": checklist_form or ChecklistForm(checklist_state=state),
        "call_form": call_form or (CallAttemptForm() if can_act else None),
        "qualify_form": QualifyForm(reps=reps) if deciding else None,
        "qualify_blockers": qualify_blockers,
        "disqualify_form": (
            DisqualifyForm(
                initial={"reason": suggested.pk if suggested else None},
                reasons=selectors.disqualify_reason_choices(),
            )
            if deciding
            else None
        ),
        "suggested_reason": suggested,
        "hand_off_form": QualifyForm(reps=reps) if qualified else None,
        "reassign_form": (
            ReassignForm(qualifiers=selectors.team_qualifiers(team_id=team.pk)) if manager and deciding else None
        ),
        "summary": selectors.latest_handoff_summary(lead_id=lead.pk) if lead.handed_off_at else None,
        "outcomes": CallAttempt.Outcome.choices,
        "click_to_call": click_to_call,
        "pbx_call": (pbx_call := selectors.pbx_call_latest(lead_id=lead.pk)),
        "pbx_sig": selectors.pbx_call_signature(pbx_call),
        "live_poll_seconds": 2,
        "unreachable_reason_id": (
            selectors.reason_id_cached(kind=Reason.Kind.DISQUALIFY, code=services.UNREACHABLE_REASON)
            if deciding
            else None
        ),
    }


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def call_log(request, lead_id):
    lead = _visible_lead(request, lead_id)
    form = CallAttemptForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return render(request, "qualification/lead.html", _card_context(request, lead, call_form=form), status=400)
    data = form.cleaned_data
    attempt = services.call_attempt_log(
        lead_id=lead.pk,
        actor=request.user,
        outcome=data["outcome"],
        note=data["note"],
        callback_at=data["callback_at"],
    )
    messages.success(request, _("Call logged: %s.") % attempt.get_outcome_display())
    return redirect("qualification:lead", lead_id=lead.pk)


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def checklist_save(request, lead_id):
    lead = _visible_lead(request, lead_id)
    checklist = selectors.active_checklist(team_id=lead.qualification_team_id)
    state = selectors.checklist_state(lead=lead, checklist=checklist)
    form = ChecklistForm(request.POST, checklist_state=state)
    if not form.is_valid():
        _form_errors(request, form)
        return render(request, "qualification/lead.html", _card_context(request, lead, checklist_form=form), status=400)
    answers = form.answers()
    saved = services.lead_answers_save(lead_id=lead.pk, actor=request.user, answers=answers)
    if saved.criteria_passed:
        messages.success(request, _("Answers saved: every required criterion passes."))
    else:
        messages.info(request, _("Answers saved."))
    return redirect(f"{_card_url(lead)}#checklist")


def _card_url(lead):
    return reverse("qualification:lead", args=[lead.pk])


def _reps_for(user, lead):
    """The reps the qualification lead may pick by hand; None for a qualifier (the team's rule picks)."""
    if not access.is_queue_manager(user):
        return None
    sales_team = selectors.sales_team_for(lead)  # the hand-off routes, else the team's sales team
    if sales_team is None:
        return None
    return services.eligible_sales_reps(sales_team=sales_team).order_by("first_name", "last_name")


def _handoff_input(request, lead_id):
    """(lead, the hand-off form's data), or (lead, None) with the form's errors as messages."""
    lead = _visible_lead(request, lead_id)
    form = QualifyForm(request.POST, reps=_reps_for(request.user, lead))
    if not form.is_valid():
        _form_errors(request, form)
        return lead, None
    return lead, form.cleaned_data


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def lead_qualify(request, lead_id):
    lead, data = _handoff_input(request, lead_id)
    if data is None:
        return redirect("qualification:lead", lead_id=lead.pk)
    result = services.lead_qualify_and_hand_off(
        lead_id=lead.pk,
        actor=request.user,
        note=data["note"],
        best_time_to_visit=data["best_time_to_visit"],
        sales_rep=data.get("sales_rep"),
    )
    if result.status == LeadStatus.HANDED_OFF:
        rep = display_name(result.sales_rep)
        messages.success(request, _("Qualified and handed off to %(rep)s.") % {"rep": rep})
    else:
        messages.success(request, _("Qualified. The qualification lead will choose the sales rep."))
    return redirect("qualification:index")


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def lead_send_to_sales(request, lead_id):
    """The qualification lead hands a qualified lead off (manual strategy, or after an error)."""
    lead, data = _handoff_input(request, lead_id)
    if data is None:
        return redirect("qualification:lead", lead_id=lead.pk)
    result = services.lead_send_to_sales(
        lead_id=lead.pk,
        actor=request.user,
        sales_rep=data.get("sales_rep"),
        note=data["note"],
        best_time_to_visit=data["best_time_to_visit"],
    )
    messages.success(request, _("Handed off to %(rep)s.") % {"rep": display_name(result.sales_rep)})
    return redirect("qualification:lead", lead_id=lead.pk)


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def lead_disqualify(request, lead_id):
    lead = _visible_lead(request, lead_id)
    form = DisqualifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("qualification:lead", lead_id=lead.pk)
    result = services.lead_disqualify(
        lead_id=lead.pk, actor=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
    )
    messages.success(request, _("Disqualified: %s.") % result.disqualify_reason)
    return redirect("qualification:index")


@queue_access
@require_POST
@refusal_returns_to("qualification:index")
def lead_release(request, lead_id):
    lead = _visible_lead(request, lead_id)
    services.lead_release(lead_id=lead.pk, actor=request.user)
    messages.success(request, _("The lead is back in the pool."))
    return redirect(safe_next(request, reverse("qualification:index")))


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def lead_reassign(request, lead_id):
    lead = _visible_lead(request, lead_id)
    form = ReassignForm(request.POST, qualifiers=selectors.team_qualifiers(team_id=lead.qualification_team_id))
    back_to = safe_next(request, _card_url(lead))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back_to)
    qualifier = form.cleaned_data["qualifier"]
    services.lead_reassign(lead_id=lead.pk, actor=request.user, qualifier=qualifier)
    messages.success(request, _("Reassigned to %s.") % display_name(qualifier))
    return redirect(back_to)


# --- my hand-offs --------------------------------------------------------------------------------


@queue_access
def handoffs(request):
    table = HandoffTable(selectors.handoffs_by(user=request.user))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    counts = selectors.handoff_outcome_counts(user=request.user)
    return render(
        request,
        "qualification/handoffs.html",
        {"page_title": _("My hand-offs"), "table": table, "counts": counts, "outcome_of": handoff_outcome},
    )
