"""The lead card: the lead, its history, inquiries, calls and recordings, the checklist and the script."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from leadflow import hotcache
from leadflow.compiled import compiled_query
from leadflow.models import Inquiry, Lead, LeadEvent, LeadStatus, PbxAccount, Profile, Reason

from ..models import (
    CallAttempt,
    CallRecording,
    CallScript,
    Checklist,
    Criterion,
    HandoffSummary,
    LeadAnswer,
    PbxCall,
)

# --- the lead card -------------------------------------------------------------------------------


def lead_for_card(*, lead_id):
    return lead_for_card_queryset().filter(pk=lead_id).first()


def lead_for_card_queryset():
    """The lead with everything its card shows, in one query."""
    return Lead.objects.select_related(
        "source",
        "qualifier",
        "sales_rep",
        "booked_rep",
        "handed_off_by",
        "disqualify_reason",
        "qualification_team",
        "qualification_team__sales_team",
    )


def lead_for_card_by_id(lead_id):
    """`lead_for_card_queryset()`'s lead `lead_id` or None, its SQL compiled once (leadflow.compiled)."""
    rows = compiled_query("card-lead", lambda pk: lead_for_card_queryset().filter(pk=pk), lead_id)
    return rows[0] if rows else None


def lead_history(*, lead):
    return _history_of(ContentType.objects.get_for_model(Lead).pk, lead.pk)


def _history_of(content_type_id, object_id):
    return (
        StateLog.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .select_related("by")
        .order_by("-timestamp", "-pk")
    )


def lead_history_rows(*, lead):
    """The history with a readable label per row (LeadEvent's word; an unknown stored code reads "Event")."""
    content_type_id = ContentType.objects.get_for_model(Lead).pk
    rows = compiled_query("card-history", _history_of, content_type_id, lead.pk)  # leadflow.compiled
    for row in rows:
        row.label = LeadEvent.label_of(row.transition)
        row.source_label, row.state_label = _status_label(row.source_state), _status_label(row.state)
    return rows


def _status_label(value):
    try:
        return LeadStatus(value).label
    except ValueError:
        return value


def phone_inquiries(*, lead):
    """Every inquiry from this phone number, this lead's and earlier leads' alike.

    The phone's leads first (an index lookup, a handful of ids), then their inquiries by `lead_id IN
    (…)`: as one join, PostgreSQL without fresh statistics (right after a bulk load) hashed the whole
    inquiry table (1M rows, 380 ms); a short literal list is an index scan whatever the statistics say.
    """
    lead_ids = compiled_query("card-phone-leads", _lead_ids_of_phone, lead.phone) or [lead.pk]
    return (
        Inquiry.objects.filter(lead_id__in=lead_ids)
        .select_related("source", "lead")
        .order_by("-received_at", "-pk")[:50]
    )


def _lead_ids_of_phone(phone):
    return Lead.objects.filter(phone=phone).values_list("pk", flat=True)[:50]


def call_attempts(*, lead_id):
    """The lead's call attempts, newest first (a list; its SQL compiled once, leadflow.compiled)."""
    return compiled_query("card-attempts", _attempts_of, lead_id)


def _attempts_of(lead_id):
    return (
        CallAttempt.objects.filter(lead_id=lead_id).select_related("actor", "recording").order_by("-called_at", "-pk")
    )


def call_recordings_of(handed_off_at_by_lead):
    """{lead id: [recordings]} for the deal card and arbitration (two queries for any number of leads):
    newest call first, except the hand-off call — the answered call closest before the hand-off
    (`handed_off_at_by_lead[lead id]`) — which comes first with `handoff_call` set."""
    lead_ids = list(handed_off_at_by_lead)
    recordings = (
        CallRecording.objects.filter(attempt__lead_id__in=lead_ids)
        .select_related("attempt__actor")
        .order_by("-attempt__called_at", "-pk")
    )
    answered = CallAttempt.objects.filter(lead_id__in=lead_ids, outcome=CallAttempt.Outcome.REACHED).values_list(
        "lead_id", "pk", "called_at"
    )
    handoff_call = {}
    for lead_id, pk, called_at in answered:
        handed_off_at = handed_off_at_by_lead[lead_id]
        if handed_off_at is None or called_at > handed_off_at:
            continue
        if lead_id not in handoff_call or called_at > handoff_call[lead_id][1]:
            handoff_call[lead_id] = (pk, called_at)
    by_lead = {}
    for recording in recordings:
        recording.handoff_call = handoff_call.get(recording.attempt.lead_id, (None,))[0] == recording.attempt_id
        by_lead.setdefault(recording.attempt.lead_id, []).append(recording)
    for rows in by_lead.values():
        rows.sort(key=lambda recording: not recording.handoff_call)  # stable: the rest stay newest first
    return by_lead


def pbx_call_latest(*, lead_id):
    """The lead's latest PBX call or None (its SQL compiled once, leadflow.compiled)."""
    rows = compiled_query("pbx-call-latest", _latest_pbx_call_of, lead_id)
    return rows[0] if rows else None


def _latest_pbx_call_of(lead_id):
    return PbxCall.objects.filter(lead_id=lead_id).select_related("user").order_by("-placed_at", "-pk")[:1]


def pbx_call_signature(call):
    """What the card's call panel shows (leadflow/live.py): a poll with the same signature is a 204."""
    if call is None:
        return "none"
    return f"{call.pk}-{call.state}-{call.answered}-{call.talk_seconds}-{bool(call.recording_ref)}"


def click_to_call_ready(user):
    """A PBX is connected and the person has an extension: "Позвонить" asks the PBX instead of `tel:`.

    Whether a PBX is connected is kept a few seconds per process (`pbx_connected`): one query, on every
    queue poll and card, only where there is a PBX at all."""
    if not pbx_connected():
        return False
    return Profile.objects.filter(user_id=user.pk).exclude(phone_extension="").exists()


def pbx_connected():
    """An active PBX account exists (leadflow.hotcache: a few seconds per process, cleared by any save
    or delete of an account in this process; qualification/apps.py)."""
    return hotcache.get_or_load("pbx-connected", PbxAccount.objects.filter(is_active=True).exists)


def failed_attempts_count(*, lead_id):
    return CallAttempt.objects.filter(lead_id=lead_id, outcome__in=CallAttempt.FAILED_OUTCOMES).count()


def call_script(*, team_id, stage=CallScript.Stage.FIRST_CALL):
    scripts = list(CallScript.objects.filter(team_id=team_id, is_active=True).order_by("stage", "-version", "pk"))
    return next((s for s in scripts if s.stage == stage), scripts[0] if scripts else None)


def active_checklist(*, team_id):
    """The team's active checklist with its criteria (and their reasons) prefetched."""
    from django.db.models import Prefetch

    return (
        Checklist.objects.filter(team_id=team_id, is_active=True)
        .prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.select_related("disqualify_reason").order_by("position"))
        )
        .first()
    )


def active_checklist_for_card(*, team_id):
    """`active_checklist` for showing on the card, kept a few seconds per process (leadflow.hotcache; a
    save or delete of a checklist or criterion clears it in this process, qualification/apps.py). The
    instances are shared between requests: read them, never change them. Saving answers reads the
    active checklist afresh (services.lead_answers_save), so a card built in another process from the
    version just replaced is refused with a message, never saved against the wrong version."""
    return hotcache.get_or_load(("card-checklist", team_id), lambda: active_checklist(team_id=team_id))


def call_script_for_card(*, team_id):
    """`call_script` of the first call, kept a few seconds per process like the checklist."""
    return hotcache.get_or_load(("card-script", team_id), lambda: call_script(team_id=team_id))


def disqualify_reason_choices():
    """(pk, title) of the active disqualification reasons in form order, kept a few seconds per process:
    the card's reason list (the submitted reason is checked against the table, forms.DisqualifyForm)."""
    return hotcache.get_or_load(
        "disqualify-reason-choices",
        lambda: tuple((r.pk, str(r)) for r in Reason.objects.filter(kind=Reason.Kind.DISQUALIFY, is_active=True)),
    )


def disqualify_reasons():
    return Reason.objects.filter(kind=Reason.Kind.DISQUALIFY, is_active=True).order_by("position", "title")


def answer_display(criterion, value):
    if value is None:
        return ""
    if criterion.kind == Criterion.Kind.CHOICE:
        return next((o.get("label", value) for o in criterion.options if str(o.get("value")) == str(value)), value)
    if criterion.kind == Criterion.Kind.YES_NO:
        return _("yes") if value else _("no")
    text = number_format(value, force_grouping=True)
    return f"{text} {criterion.unit}".strip()


@dataclass
class ChecklistRow:
    criterion: Criterion
    answer: LeadAnswer | None

    @property
    def passed(self):
        return self.answer is not None and self.answer.passed

    @property
    def display(self):
        return answer_display(self.criterion, self.answer.value) if self.answer else ""


@dataclass
class ChecklistState:
    checklist: Checklist | None
    rows: list = field(default_factory=list)
    old_answers: list = field(default_factory=list)  # answers given under another version

    @property
    def missing(self):
        return [r.criterion for r in self.rows if r.criterion.required and r.answer is None]

    @property
    def failing(self):
        return [r for r in self.rows if r.answer is not None and not r.answer.passed]

    @property
    def failing_required(self):
        return [r for r in self.failing if r.criterion.required]

    @property
    def all_pass(self):
        return self.checklist is not None and not self.missing and not self.failing_required

    @property
    def suggested_reason(self):
        """The reason of the first failing answer, to pre-fill the disqualification form."""
        return next((r.criterion.disqualify_reason for r in self.failing if r.criterion.disqualify_reason), None)


def checklist_state(*, lead, checklist):
    """The lead's answers against `checklist` (one query for the answers; criteria are prefetched)."""
    answers = compiled_query("lead-answers", _answers_of, lead.pk)  # leadflow.compiled
    if checklist is None:
        return ChecklistState(checklist=None, old_answers=answers)
    criteria = list(checklist.criteria.all())
    by_criterion = {a.criterion_id: a for a in answers}
    rows = [ChecklistRow(criterion=c, answer=by_criterion.get(c.pk)) for c in criteria]
    current_ids = {c.pk for c in criteria}
    old = [a for a in answers if a.criterion_id not in current_ids]
    return ChecklistState(checklist=checklist, rows=rows, old_answers=old)


def _answers_of(lead_id):
    return LeadAnswer.objects.filter(lead_id=lead_id).select_related("criterion")


def answers_snapshot(*, lead):
    """The lead's answers as frozen text for the hand-off summary."""
    answers = (
        LeadAnswer.objects.filter(lead_id=lead.pk)
        .select_related("criterion")
        .order_by("-checklist_version", "criterion__position")
    )
    latest = None
    rows = []
    for answer in answers:
        latest = latest if latest is not None else answer.checklist_version
        if answer.checklist_version != latest:
            continue
        rows.append(
            {
                "code": answer.criterion.code,
                "question": answer.criterion.question,
                "answer": str(answer_display(answer.criterion, answer.value)),
                "passed": answer.passed,
                "version": answer.checklist_version,
            }
        )
    return rows


def latest_handoff_summary(*, lead_id):
    """The lead's latest hand-off summary with its rep and author.

    Two reads, not one join: right after a bulk load (no statistics) PostgreSQL drove the join from the
    user table and probed the summaries author by author (66 ms at 365,000 summaries); by `lead_id`
    alone it is an index lookup whatever the statistics say.
    """
    from django.contrib.auth import get_user_model

    summary = HandoffSummary.objects.filter(lead_id=lead_id).order_by("-created_at", "-pk").first()
    if summary is not None:
        people = get_user_model().objects.in_bulk({summary.sales_rep_id, summary.created_by_id} - {None})
        summary.created_by = people[summary.created_by_id]
        if summary.sales_rep_id is not None:
            summary.sales_rep = people[summary.sales_rep_id]
    return summary
