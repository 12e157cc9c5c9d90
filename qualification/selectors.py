"""Reads of the qualifier's workspace. Each selector owns its joins, so pages run a constant number
of queries whatever the number of rows."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, DateTimeField, F, IntegerField, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from leadflow import access, hotcache, roles
from leadflow.compiled import compiled_query
from leadflow.models import Inquiry, Lead, LeadEvent, LeadStatus, PbxAccount, Profile, Reason

from . import queue_order
from .models import (
    CallAttempt,
    CallRecording,
    CallScript,
    Checklist,
    Criterion,
    HandoffSummary,
    LeadAnswer,
    PbxCall,
)

QUEUE_STATUSES = (LeadStatus.NEW, LeadStatus.QUALIFYING, LeadStatus.QUALIFIED)


def _with_urgency(qs, now=None):
    """Annotate `queue_bucket` and `due_at` and order most urgent first (qualification/queue_order.py).

    Only the lead's own columns: "Next lead" locks the first row with FOR UPDATE SKIP LOCKED."""
    now = now or timezone.now()  # the app's clock (not the database's), so it is the same everywhere
    return qs.annotate(
        queue_bucket=queue_order.bucket_expression(now), due_at=queue_order.due_expression(now)
    ).order_by(*queue_order.ORDERING)


def queue_for_user(*, user, team_id=None):
    """The queue a person sees: a qualifier the team's unclaimed leads plus their own; the team lead
    (and a director) the whole team, who holds what included."""
    team_id = team_id or access.team_id_of(user)
    qs = Lead.objects.filter(
        qualification_team_id=team_id, status__in=QUEUE_STATUSES, is_archived=False, merged_into__isnull=True
    )
    if not access.is_queue_manager(user):
        qs = qs.filter(Q(status=LeadStatus.NEW, qualifier__isnull=True) | Q(qualifier_id=user.pk)).exclude(
            status=LeadStatus.QUALIFIED
        )
    # Call attempts by a correlated subquery, not a JOIN + GROUP BY: PostgreSQL then counts them only
    # for the page's rows (after ORDER BY … LIMIT), and the paginator's count() is a plain index count.
    qs = qs.select_related("source", "qualifier").annotate(attempts=_count_of(CallAttempt.objects, "lead_id"))
    return _with_urgency(qs)


def _count_of(queryset, fk):
    """COUNT(*) of `queryset` rows whose `fk` is the outer row's pk, as a scalar subquery (0 when none)."""
    counted = queryset.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def claimable_leads(*, team_id, now=None):
    """Unclaimed leads of the team, most urgent first (no joins: safe for FOR UPDATE SKIP LOCKED)."""
    qs = Lead.objects.filter(
        qualification_team_id=team_id,
        status=LeadStatus.NEW,
        qualifier__isnull=True,
        is_archived=False,
        merged_into__isnull=True,
    )
    return _with_urgency(qs, now)


_NOW = datetime(2000, 1, 1, tzinfo=UTC)  # stands for the time of the call in a compiled statement
_STATEMENTS = {}  # (name, database alias, key) → (sql, params), see `_run_compiled`


def _run_compiled(name, key, build):
    """The leads of queryset `build()` (built with `_NOW` for the time), its SQL compiled once per process
    and `key`, run with the current time. For "Next lead", where compiling the queue order's CASE
    expressions cost ~2 ms of CPU per press, more than all the rest of the claim (docs/performance.md)."""
    cache_key = (name, connection.alias, key)
    if cache_key not in _STATEMENTS:
        _STATEMENTS[cache_key] = build().query.sql_with_params()
    sql, params = _STATEMENTS[cache_key]
    stand_in, now = (connection.ops.adapt_datetimefield_value(t) for t in (_NOW, timezone.now()))
    return Lead.objects.raw(sql, [now if value == stand_in else value for value in params])


def next_lead_locked(*, user, team_id):
    """What "Next lead" gives `user` (PostgreSQL, inside the caller's transaction): the callback they
    promised that is due now (earliest first; already theirs), else the team's most urgent claimable lead
    with its row locked by `FOR UPDATE SKIP LOCKED`; None when there is neither.

    One statement: `id = COALESCE((the due callback), (the pick))` around the row. PostgreSQL runs the
    pick, and takes its lock, only when there is no due callback. Only the narrow pick is sorted
    (sorting the pool's whole rows cost 3× more). The outer read shares the statement's snapshot: a
    column another transaction changed just before may be older than the locked row (the pick itself is
    re-checked on the newest version); the claim writes only its own columns.
    """

    def build():
        callback = due_callbacks(user_id=user.pk, now=_NOW).values("pk")[:1]
        pick = (
            claimable_leads(team_id=team_id, now=_NOW)
            .select_for_update(skip_locked=True, of=("self",))
            .values("pk")[:1]
        )
        return Lead.objects.filter(pk=Coalesce(Subquery(callback), Subquery(pick))).order_by()

    return next(iter(_run_compiled("next_lead_locked", (user.pk, team_id), build)), None)


def due_callback_for(*, user):
    """The lead whose callback `user` promised is due now (the earliest), or None."""
    return due_callbacks(user_id=user.pk).first()


def due_callbacks(*, user_id, now=None):
    """The callbacks `user_id` promised that are due at `now`, earliest first (already theirs: no claim)."""
    return Lead.objects.filter(
        qualifier_id=user_id, status=LeadStatus.QUALIFYING, callback_at__lte=now or timezone.now()
    ).order_by("callback_at", "pk")


QUEUE_COUNTS = ("unclaimed", "mine", "warned", "breached", "awaiting_rep")


def queue_counts(*, user, team_id=None):
    """Header figures for the queue page in one aggregate query, its SQL compiled once (leadflow.compiled):
    grouped by the team, which the filter fixes, so it is one row (none when the team has no lead in
    the queue: zeros)."""
    team_id = team_id or access.team_id_of(user)
    rows = compiled_query("queue-counts", _queue_counts_of, team_id, user.pk)
    return dict(zip(QUEUE_COUNTS, rows[0] if rows else (0,) * len(QUEUE_COUNTS), strict=True))


def _queue_counts_of(team_id, user_id):
    return (
        Lead.objects.filter(
            qualification_team_id=team_id, status__in=QUEUE_STATUSES, is_archived=False, merged_into__isnull=True
        )
        .order_by()
        .values("qualification_team_id")
        .annotate(
            unclaimed=Count("pk", filter=Q(status=LeadStatus.NEW, qualifier__isnull=True)),
            mine=Count("pk", filter=Q(status=LeadStatus.QUALIFYING, qualifier_id=user_id)),
            warned=Count("pk", filter=Q(status=LeadStatus.NEW, sla_state="warned")),
            breached=Count("pk", filter=Q(status=LeadStatus.NEW, sla_state="breached")),
            awaiting_rep=Count("pk", filter=Q(status=LeadStatus.QUALIFIED)),
        )
        .values_list(*QUEUE_COUNTS)
    )


def team_qualifiers(*, team_id):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True, profile__team_id=team_id, groups__name__in=[roles.QUALIFIER, roles.QUALIFICATION_LEAD]
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
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


# --- my hand-offs --------------------------------------------------------------------------------


def handoffs_by(*, user):
    """Leads the user qualified and that were handed off (by them, or by the team lead with the manual
    strategy), with where they are now: the feedback loop."""
    return (
        Lead.objects.filter(qualified_by_id=user.pk, handed_off_by__isnull=False)
        .select_related("source", "sales_rep", "lose_reason")
        .order_by("-handed_off_at", "-pk")
    )


def handoff_outcome_counts(*, user):
    return Lead.objects.filter(qualified_by_id=user.pk, handed_off_by__isnull=False).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=LeadStatus.HANDED_OFF, handoff_state="pending")),
        accepted=Count("pk", filter=Q(status=LeadStatus.HANDED_OFF, handoff_state="accepted")),
        disputed=Count("pk", filter=Q(handoff_state="disputed")),
        returned=Count("pk", filter=Q(status__in=[LeadStatus.QUALIFYING, LeadStatus.QUALIFIED])),
        measured=Count("pk", filter=Q(status=LeadStatus.MEASURED)),
        won=Count("pk", filter=Q(status=LeadStatus.WON)),
        lost=Count("pk", filter=Q(status=LeadStatus.LOST)),
    )


def team_load(*, team_id):
    """Per qualifier of the team: leads held now and since when the oldest is held (one query).

    Scalar subqueries over (qualifier, status) — the index lead_qualifier_idx — so only the leads held now
    are read, not every lead a qualifier ever had (a JOIN + FILTER read ~1M rows at 1M leads: 1 s)."""
    held = Lead.objects.filter(qualifier_id=OuterRef("pk"), status=LeadStatus.QUALIFYING).order_by()
    oldest = held.values("qualifier_id").annotate(oldest=Min("claimed_at")).values("oldest")
    return team_qualifiers(team_id=team_id).annotate(
        held=_count_of(Lead.objects.filter(status=LeadStatus.QUALIFYING), "qualifier_id"),
        oldest_claim=Subquery(oldest, output_field=DateTimeField()),
    )


def team_load_rows(*, team_id):
    """`team_load` as a list, its SQL compiled once per connection (leadflow.compiled)."""
    return compiled_query("team-load", lambda team: team_load(team_id=team), team_id)


def reason_id(*, kind, code):
    return Reason.objects.filter(kind=kind, code=code).values_list("pk", flat=True).first()


def reason_id_cached(*, kind, code):
    """`reason_id` kept a few seconds per process (the card's "unreachable" button)."""
    return hotcache.get_or_load(("reason-id", kind, code), lambda: reason_id(kind=kind, code=code))


# --- call quality reviews ------------------------------------------------------------------------


def _reviews():
    from .models import CallReview

    return CallReview.objects.select_related(
        "attempt__lead", "attempt__recording", "qualifier", "reviewer", "script", "team"
    )


def reviews_for_reviewer(*, user, done=False):
    """The team's reviews for the qualification lead (the director: every team), pending or done."""
    teams = access.review_team_ids(user)
    reviews = _reviews() if teams is None else _reviews().filter(team_id__in=teams)
    if done:
        return reviews.filter(reviewed_at__isnull=False).order_by("-reviewed_at", "-pk")
    return reviews.filter(reviewed_at__isnull=True).order_by("-week", "reason", "qualifier__last_name", "pk")


def review_counts(*, user):
    teams = access.review_team_ids(user)
    from .models import CallReview

    reviews = CallReview.objects.all() if teams is None else CallReview.objects.filter(team_id__in=teams)
    return reviews.aggregate(
        pending=Count("pk", filter=Q(reviewed_at__isnull=True)),
        done=Count("pk", filter=Q(reviewed_at__isnull=False)),
        unacknowledged=Count("pk", filter=Q(reviewed_at__isnull=False, acknowledged_at__isnull=True)),
    )


def review_detail(*, review_id):
    """One review with its script version's steps and its marks (three queries)."""
    from django.db.models import Prefetch

    from .models import ScriptStep

    return (
        _reviews()
        .prefetch_related(Prefetch("script__steps", queryset=ScriptStep.objects.order_by("position", "pk")), "marks")
        .filter(pk=review_id)
        .first()
    )


def reviews_of_qualifier(*, user):
    """The qualifier's own reviewed calls, the unacknowledged first."""
    from django.db.models import Prefetch

    from .models import ReviewMark

    return (
        _reviews()
        .filter(qualifier=user, reviewed_at__isnull=False)
        .prefetch_related(
            Prefetch("marks", queryset=ReviewMark.objects.select_related("step").order_by("step__position"))
        )
        .order_by(F("acknowledged_at").desc(nulls_first=True), "-reviewed_at", "-pk")
    )


def review_teams(*, user):
    """The qualification teams whose calls `user` may draw and review."""
    from leadflow.models import Team

    teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("name")
    scope = access.review_team_ids(user)
    return teams if scope is None else teams.filter(pk__in=scope)


def sales_team_for(lead):
    """The sales team a lead of its qualification team goes to: the first matching hand-off route
    (qualification.models.HandoffRoute), else the team's own sales team (None when it has none)."""
    from leadflow.models import Team

    from .models import HandoffRoute

    routes = HandoffRoute.objects.filter(team_id=lead.qualification_team_id, is_active=True).select_related(
        "sales_team"
    )
    for route in routes.order_by("position", "pk"):
        if route.matches(lead):
            return route.sales_team
    return Team.objects.select_related("sales_team").get(pk=lead.qualification_team_id).sales_team
