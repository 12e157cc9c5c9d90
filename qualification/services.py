"""Writes of the qualifier's workspace: claim, next lead, lease, calls, checklist, qualify, hand-off.

Every write locks the lead row (leadflow.services.lock_lead), checks who may act, changes the status
only through `lead_transition` and leaves a history row with its actor.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Notification, Profile, Reason, SlaState, Team
from leadflow.services import history_record, lead_transition, lock_lead, notification_send
from leadflow.workhours import WorkCalendar

from . import selectors
from .exceptions import AlreadyClaimed, PermissionRefused, TransitionRefused
from .models import CallAttempt, Criterion, HandoffSummary, LeadAnswer

UNREACHABLE_REASON = "unreachable"


# --- who may act ---------------------------------------------------------------------------------


def _ensure_team_member(*, lead, actor):
    if actor.is_superuser or roles.has_role(actor, roles.DIRECTOR):
        return
    profile = getattr(actor, "profile", None)
    if profile is None or profile.team_id != lead.qualification_team_id:
        raise PermissionRefused(_("This lead belongs to another team."))


def _ensure_holder(*, lead, actor):
    """Only the qualifier holding the lead (or the team lead) acts on it."""
    _ensure_team_member(lead=lead, actor=actor)
    if lead.qualifier_id == actor.pk or roles.has_role(actor, roles.QUALIFICATION_LEAD, roles.DIRECTOR):
        return
    if lead.qualifier_id is None:
        raise PermissionRefused(_("Take the lead first: it is not yours yet."))
    raise PermissionRefused(_("This lead is held by another qualifier."))


def _ensure_queue_manager(*, lead, actor):
    _ensure_team_member(lead=lead, actor=actor)
    if not roles.can_manage_queue(lead, actor):
        raise PermissionRefused(_("Only the qualification lead can reassign or release leads."))


def _touch(lead, *, at=None):
    """Activity on a claimed lead renews its claim lease."""
    lead.last_activity_at = at or timezone.now()
    lead.save(update_fields=["last_activity_at", "updated_at"])


# --- claim, next lead, lease, reassign -----------------------------------------------------------


def lead_claim(*, lead_id: int, actor) -> Lead:
    """Take a new lead. Of two people claiming at once exactly one wins; the other gets AlreadyClaimed."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        return _claim_locked(lead=lead, actor=actor)


def _claim_locked(*, lead, actor, qualifier=None, description=""):
    _ensure_team_member(lead=lead, actor=actor)
    qualifier = qualifier or actor
    if lead.status != LeadStatus.NEW or lead.qualifier_id is not None:
        if lead.qualifier_id == qualifier.pk:
            return lead
        raise AlreadyClaimed()

    def prepare(locked):
        locked.qualifier = qualifier

    return lead_transition(lead=lead, name="claim", actor=actor, prepare=prepare, description=description)


def lead_claim_next(*, actor) -> Lead | None:
    """Claim the most urgent unclaimed lead of the actor's team, or None when the pool is empty.

    A callback the actor promised that is due now comes first (it is already theirs: no claim).
    PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` hands concurrent callers different rows without
    waiting. Elsewhere (SQLite takes its write lock at BEGIN, so writers are serialised) the
    candidate is re-checked under `lock_lead` and the next one tried if someone was faster.
    """
    team_id = selectors.team_id_of(actor)
    if team_id is None:
        raise PermissionRefused(_("You are not on a qualification team."))
    if not roles.can_qualify(None, actor):
        raise PermissionRefused(_("Only qualifiers take leads from the queue."))
    due_callback = selectors.due_callback_for(user=actor)
    if due_callback is not None:
        return due_callback
    skip_locked = connection.features.has_select_for_update_skip_locked
    for _attempt in range(10):
        with transaction.atomic():
            candidates = selectors.claimable_leads(team_id=team_id).only("pk")
            if skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            picked = candidates.first()
            if picked is None:
                return None
            try:
                with transaction.atomic():
                    lead = lock_lead(picked.pk)
                    return _claim_locked(lead=lead, actor=actor, description=_("Next lead"))
            except AlreadyClaimed:
                continue
    return None


def lead_release(*, lead_id: int, actor, description: str = "") -> Lead:
    """The qualification lead puts a claimed lead back into the team's pool."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_queue_manager(lead=lead, actor=actor)
        if lead.status != LeadStatus.QUALIFYING:
            raise TransitionRefused(_("Only a lead in qualification can be released."))
        holder = lead.qualifier
        lead = lead_transition(
            lead=lead, name="release", actor=actor, description=description or _("Released by the team lead")
        )
        if holder is not None and holder != actor:
            notification_send(
                recipient=holder,
                kind=Notification.Kind.REASSIGNED,
                lead=lead,
                text=_("Lead %(lead)s was released to the pool by %(who)s.") % {"lead": lead, "who": _name(actor)},
                url=reverse("qualification:index"),
            )
        return lead


def lease_expires_at(*, lead, lease_minutes: int):
    """A claim lasts `lease_minutes` after the last activity; a promised callback extends it past that time."""
    anchor = max(filter(None, [lead.last_activity_at, lead.claimed_at, lead.callback_at]), default=None)
    return anchor + timedelta(minutes=lease_minutes) if anchor else None


def claim_leases_expire(*, now=None) -> int:
    """Return leads whose claim lease ran out to the pool; the history says so. Safe to run twice."""
    now = now or timezone.now()
    released = 0
    for team in Team.objects.filter(kind=Team.Kind.QUALIFICATION):
        cutoff = now - timedelta(minutes=team.claim_lease_minutes)
        stale_ids = list(
            Lead.objects.filter(qualification_team=team, status=LeadStatus.QUALIFYING)
            .filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, claimed_at__lt=cutoff))
            .exclude(callback_at__gte=cutoff)
            .values_list("pk", flat=True)
        )
        for lead_id in stale_ids:
            if _lease_expire_one(lead_id=lead_id, lease_minutes=team.claim_lease_minutes, now=now):
                released += 1
    return released


def _lease_expire_one(*, lead_id, lease_minutes, now):
    with transaction.atomic():
        lead = lock_lead(lead_id)
        expires = lease_expires_at(lead=lead, lease_minutes=lease_minutes)
        if lead.status != LeadStatus.QUALIFYING or expires is None or expires > now:
            return False  # someone worked on it meanwhile, or it was already released
        holder = lead.qualifier
        description = _("Claim lease expired: no activity for %(minutes)s min (held by %(who)s)") % {
            "minutes": lease_minutes,
            "who": _name(holder) if holder else "—",
        }
        lead_transition(lead=lead, name="release", actor=None, description=description, at=now)
        if holder is not None:
            notification_send(
                recipient=holder,
                kind=Notification.Kind.INFO,
                lead=lead,
                text=_("Lead %(lead)s went back to the pool: no activity for %(minutes)s min.")
                % {"lead": lead, "minutes": lease_minutes},
                url=reverse("qualification:index"),
                dedupe_key=f"lease:{lead.pk}:{int(now.timestamp())}",
            )
        return True


def lead_reassign(*, lead_id: int, actor, qualifier) -> Lead:
    """The qualification lead gives a lead (new or held) to another qualifier of the team."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_queue_manager(lead=lead, actor=actor)
        profile = Profile.objects.filter(user=qualifier).first()
        if (
            not qualifier.is_active
            or profile is None
            or profile.team_id != lead.qualification_team_id
            or not roles.can_qualify(lead, qualifier)
        ):
            raise TransitionRefused(_("Choose an active qualifier of this team."))
        now = timezone.now()
        if lead.status == LeadStatus.NEW:
            lead = _claim_locked(
                lead=lead, actor=actor, qualifier=qualifier, description=_("Assigned to %s") % _name(qualifier)
            )
        elif lead.status == LeadStatus.QUALIFYING:
            if lead.qualifier_id == qualifier.pk:
                return lead
            previous = lead.qualifier
            lead.qualifier = qualifier
            lead.claimed_at = now
            lead.last_activity_at = now
            lead.save(update_fields=["qualifier", "claimed_at", "last_activity_at", "updated_at"])
            history_record(
                lead=lead,
                actor=actor,
                event="reassigned",
                description=_("Reassigned from %(old)s to %(new)s")
                % {"old": _name(previous) if previous else "—", "new": _name(qualifier)},
                at=now,
            )
        else:
            raise TransitionRefused(_("Only a new lead or a lead in qualification can be reassigned."))
        notification_send(
            recipient=qualifier,
            kind=Notification.Kind.REASSIGNED,
            lead=lead,
            text=_("Lead %(lead)s was assigned to you by %(who)s.") % {"lead": lead, "who": _name(actor)},
            url=reverse("qualification:lead", args=[lead.pk]),
        )
        return lead


# --- calls ---------------------------------------------------------------------------------------


def sla_state_on_first_call(*, lead, called_at):
    """met: called by the breach deadline; met_late: after it. The warning and breach timestamps
    (sla_warned_at, sla_breached_at) stay on the lead for good, so a late call is still counted."""
    if lead.sla_breach_at is not None and called_at > lead.sla_breach_at:
        return SlaState.MET_LATE
    return SlaState.MET


def call_attempt_log(
    *,
    lead_id: int,
    actor,
    outcome: str,
    note: str = "",
    called_at=None,
    callback_at=None,
    direction: str = CallAttempt.Direction.OUTBOUND,
    duration_seconds=None,
    external_event_id: str = "",
    check_holder: bool = True,
) -> CallAttempt:
    """Log a call attempt (by hand or from telephony). The first one stops the lead's SLA clock.

    A callback request puts the lead back at the top of its qualifier's queue at `callback_at`.
    Idempotent by `external_event_id`: a redelivered telephony event returns the attempt it made.
    """
    called_at = called_at or timezone.now()
    if external_event_id:
        existing = CallAttempt.objects.filter(external_event_id=external_event_id).first()
        if existing is not None:
            return existing
    if outcome == CallAttempt.Outcome.CALLBACK and callback_at is None:
        raise TransitionRefused(_("Enter the time the client asked to be called back."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        if check_holder:
            _ensure_holder(lead=lead, actor=actor)
        if not lead.is_open:
            raise TransitionRefused(_("The lead is closed: calls are no longer logged on it."))
        attempt = CallAttempt.objects.create(
            lead=lead,
            actor=actor,
            outcome=outcome,
            note=note,
            called_at=called_at,
            callback_at=callback_at if outcome == CallAttempt.Outcome.CALLBACK else None,
            direction=direction,
            duration_seconds=duration_seconds,
            external_event_id=external_event_id,
        )
        fields = ["last_activity_at", "callback_at", "updated_at"]
        lead.last_activity_at = max(filter(None, [lead.last_activity_at, called_at]))
        lead.callback_at = attempt.callback_at
        if lead.first_call_at is None or called_at < lead.first_call_at:
            lead.first_call_at = called_at
            fields.append("first_call_at")
            if lead.sla_state in (SlaState.PENDING, SlaState.WARNED, SlaState.BREACHED):
                lead.sla_state = sla_state_on_first_call(lead=lead, called_at=called_at)
                fields.append("sla_state")
                # a late call that beat the Celery check still counts as warned / breached for good
                if lead.sla_warn_at and called_at > lead.sla_warn_at and lead.sla_warned_at is None:
                    lead.sla_warned_at = lead.sla_warn_at
                    fields.append("sla_warned_at")
                if lead.sla_breach_at and called_at > lead.sla_breach_at and lead.sla_breached_at is None:
                    lead.sla_breached_at = lead.sla_breach_at
                    fields.append("sla_breached_at")
        lead.save(update_fields=fields)
        description = f"{attempt.get_outcome_display()}. {note}".strip(". ")
        if attempt.callback_at:
            local = timezone.localtime(attempt.callback_at)
            description += ". " + _("Call back at %(when)s") % {"when": local.strftime("%d.%m.%Y %H:%M")}
        history_record(lead=lead, actor=actor, event="call_attempt", description=description, at=called_at)
        return attempt


# --- criteria checklist --------------------------------------------------------------------------


def criterion_clean_value(criterion: Criterion, raw):
    """The stored (JSON) form of an answer, or None when empty. Raises ValueError on bad input."""
    if raw is None or raw == "":
        return None
    if criterion.kind == Criterion.Kind.CHOICE:
        values = {str(option.get("value")) for option in criterion.options}
        if str(raw) not in values:
            raise ValueError(_("Choose one of the options."))
        return str(raw)
    if criterion.kind == Criterion.Kind.NUMBER:
        try:
            number = Decimal(str(raw).replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if criterion.kind == Criterion.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"yes", "true", "1", "on", "да"}:
            return True
        if text in {"no", "false", "0", "off", "нет"}:
            return False
        raise ValueError(_("Answer yes or no."))
    raise ValueError(f"unknown criterion kind {criterion.kind}")


def criterion_evaluate(criterion: Criterion, value) -> bool:
    """The criterion's pass rule applied to a cleaned answer."""
    if value is None:
        return False
    if criterion.kind == Criterion.Kind.CHOICE:
        return any(str(o.get("value")) == str(value) and o.get("passes", False) for o in criterion.options)
    if criterion.kind == Criterion.Kind.NUMBER:
        number = Decimal(str(value))
        if criterion.min_value is not None and number < criterion.min_value:
            return False
        return not (criterion.max_value is not None and number > criterion.max_value)
    if criterion.kind == Criterion.Kind.YES_NO:
        return bool(value) == criterion.pass_if_yes
    return False


def lead_answers_save(*, lead_id: int, actor, answers: dict) -> Lead:
    """Store answers to the team's active checklist (keyed by criterion code) and re-evaluate the lead.

    Each answer keeps the checklist version it was asked in; answers to older versions are never
    touched. `Lead.criteria_passed` becomes True when every required criterion of the active
    checklist has a passing answer. An empty value removes that answer.
    """
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        if lead.status != LeadStatus.QUALIFYING:
            raise TransitionRefused(_("Answers can be changed only while the lead is in qualification."))
        checklist = selectors.active_checklist(team_id=lead.qualification_team_id)
        if checklist is None:
            raise TransitionRefused(_("The team has no active criteria checklist: ask the admin to activate one."))
        criteria = {c.code: c for c in checklist.criteria.all()}
        unknown = set(answers) - set(criteria)
        if unknown:
            raise TransitionRefused(_("Unknown criteria: %s") % ", ".join(sorted(unknown)))
        now = timezone.now()
        changed = []
        for code, raw in answers.items():
            criterion = criteria[code]
            try:
                value = criterion_clean_value(criterion, raw)
            except ValueError as exc:
                raise TransitionRefused(f"{criterion.question}: {exc}") from None
            if value is None:
                LeadAnswer.objects.filter(lead=lead, criterion=criterion).delete()
                continue
            passed = criterion_evaluate(criterion, value)
            answer, created = LeadAnswer.objects.get_or_create(
                lead=lead,
                criterion=criterion,
                defaults={
                    "checklist_version": checklist.version,
                    "value": value,
                    "passed": passed,
                    "answered_by": actor,
                    "answered_at": now,
                },
            )
            if created or answer.value != value:
                if not created:
                    answer.value, answer.passed, answer.answered_by, answer.answered_at = value, passed, actor, now
                    answer.checklist_version = checklist.version
                    answer.save()
                changed.append(f"{criterion.code}={_display(criterion, value)}{'' if passed else ' ✗'}")
        lead = _criteria_refresh(lead=lead, checklist=checklist)
        lead.last_activity_at = now
        lead.save(update_fields=["last_activity_at", "updated_at"])
        if changed:
            history_record(
                lead=lead,
                actor=actor,
                event="checklist_answered",
                description=_("Checklist v%(version)s: %(answers)s")
                % {"version": checklist.version, "answers": ", ".join(changed)},
                at=now,
            )
        return lead


def _criteria_refresh(*, lead, checklist):
    state = selectors.checklist_state(lead=lead, checklist=checklist)
    if lead.criteria_passed != state.all_pass:
        Lead.objects.filter(pk=lead.pk).update(criteria_passed=state.all_pass)
        lead.criteria_passed = state.all_pass
    return lead


def _display(criterion, value):
    return selectors.answer_display(criterion, value)


# --- qualify, disqualify -------------------------------------------------------------------------


def lead_qualify(*, lead_id: int, actor, note: str = "") -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        return lead_transition(lead=lead, name="qualify", actor=actor, description=note)


def lead_disqualify(*, lead_id: int, actor, reason: Reason, note: str = "") -> Lead:
    """Close a lead with a reason. "Unreachable" needs the team's number of failed call attempts."""
    if reason is None or reason.kind != Reason.Kind.DISQUALIFY:
        raise TransitionRefused(_("Choose a disqualification reason."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        if reason.code == UNREACHABLE_REASON:
            team = Team.objects.get(pk=lead.qualification_team_id)
            failed = selectors.failed_attempts_count(lead_id=lead.pk)
            if failed < team.max_failed_attempts:
                raise TransitionRefused(
                    _("“Unreachable” needs %(needed)s failed call attempts; %(made)s logged so far.")
                    % {"needed": team.max_failed_attempts, "made": failed}
                )

        def prepare(locked):
            locked.disqualify_reason = reason
            if locked.qualifier_id is None:
                locked.qualifier = actor

        description = f"{reason.title}. {note}".strip() if note else reason.title
        return lead_transition(lead=lead, name="disqualify", actor=actor, prepare=prepare, description=description)


# --- hand-off ------------------------------------------------------------------------------------

OPEN_DEAL_STATUSES = (LeadStatus.HANDED_OFF, LeadStatus.MEASURED)


def eligible_sales_reps(*, sales_team):
    """Active, available reps of the sales team."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=roles.SALES_REP,
            profile__team=sales_team,
            profile__is_available=True,
        )
        .distinct()
    )


def sales_rep_choose(*, sales_team: Team, strategy: str):
    """The next rep by the strategy, or None when nobody is available (or the choice is manual).

    least_loaded: fewest open deals (handed off or measured); ties go round the team in turn.
    round_robin: every available rep in turn. Unavailable and inactive reps are never chosen.
    The sales team row is locked, so a burst of concurrent hand-offs is spread, not piled up.
    Must run inside the caller's transaction.
    """
    if strategy == Team.AssignmentStrategy.MANUAL:
        return None
    team = Team.objects.select_for_update().get(pk=sales_team.pk)
    reps = list(
        eligible_sales_reps(sales_team=team)
        .annotate(open_deals=Count("sales_leads", filter=Q(sales_leads__status__in=OPEN_DEAL_STATUSES)))
        .order_by("pk")
    )
    if not reps:
        return None
    if strategy == Team.AssignmentStrategy.LEAST_LOADED:
        lowest = min(rep.open_deals for rep in reps)
        reps = [rep for rep in reps if rep.open_deals == lowest]
    pointer = team.round_robin_pointer
    chosen = next((rep for rep in reps if rep.pk > pointer), reps[0])
    Team.objects.filter(pk=team.pk).update(round_robin_pointer=chosen.pk)
    Profile.objects.filter(user=chosen).update(last_assigned_at=timezone.now())
    return chosen


def lead_hand_off(*, lead_id: int, actor, sales_rep, note: str = "") -> Lead:
    """Hand a qualified lead to a rep who is active, available and on the team's sales team."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        team = Team.objects.select_related("sales_team").get(pk=lead.qualification_team_id)
        if team.sales_team is None:
            raise TransitionRefused(_("The team has no sales team to hand off to."))
        if sales_rep is None or not eligible_sales_reps(sales_team=team.sales_team).filter(pk=sales_rep.pk).exists():
            raise TransitionRefused(_("Choose an active, available sales rep of %(team)s.") % {"team": team.sales_team})
        now = timezone.now()
        due = WorkCalendar.for_team(team.sales_team).add_working_minutes(now, team.sales_team.acceptance_window_minutes)

        def prepare(locked):
            locked.sales_rep = sales_rep
            locked.handed_off_by = actor

        return lead_transition(
            lead=lead,
            name="hand_off",
            actor=actor,
            prepare=prepare,
            description=note or _("To %(rep)s") % {"rep": _name(sales_rep)},
            at=now,
            acceptance_due_at=due,
        )


def lead_send_to_sales(*, lead_id: int, actor, sales_rep=None, note: str = "", best_time_to_visit: str = "") -> Lead:
    """Hand a qualified lead off with its summary: the rep given (manual), or the one the team's
    strategy picks. The rep gets the summary and a notification (in-app and e-mail)."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        team = Team.objects.select_related("sales_team").get(pk=lead.qualification_team_id)
        if team.sales_team is None:
            raise TransitionRefused(_("The team has no sales team to hand off to."))
        if sales_rep is not None and not roles.can_manage_queue(lead, actor):
            raise PermissionRefused(_("Only the qualification lead chooses the sales rep by hand."))
        if sales_rep is None and lead.booked_rep_id is not None:
            # the client was promised a measurement with this rep during the call
            sales_rep = eligible_sales_reps(sales_team=team.sales_team).filter(pk=lead.booked_rep_id).first()
        if sales_rep is None:
            sales_rep = sales_rep_choose(sales_team=team.sales_team, strategy=team.assignment_strategy)
            if sales_rep is None:
                if team.assignment_strategy == Team.AssignmentStrategy.MANUAL:
                    raise TransitionRefused(_("The qualification lead chooses the sales rep for this team."))
                raise TransitionRefused(_("No sales rep is available right now: ask the sales manager."))
        lead = lead_hand_off(lead_id=lead.pk, actor=actor, sales_rep=sales_rep, note=note)
        summary = _handoff_summary_create(lead=lead, actor=actor, note=note, best_time_to_visit=best_time_to_visit)
        _handoff_notify(lead=lead, summary=summary, actor=actor)
        return lead


def lead_qualify_and_hand_off(
    *, lead_id: int, actor, note: str = "", best_time_to_visit: str = "", sales_rep=None
) -> Lead:
    """The qualifier's "Qualify" button: qualify (every required criterion must pass), then hand off.

    With the manual strategy (and no rep given) the lead stays qualified and the team lead is asked
    to choose the rep; the note and best visit time are kept for that hand-off.
    """
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        checklist = selectors.active_checklist(team_id=lead.qualification_team_id)
        if checklist is not None:
            lead = _criteria_refresh(lead=lead, checklist=checklist)
        lead = lead_transition(lead=lead, name="qualify", actor=actor, description=note)
        team = Team.objects.select_related("sales_team", "lead").get(pk=lead.qualification_team_id)
        if (
            sales_rep is None
            and lead.booked_rep_id is None
            and team.assignment_strategy == Team.AssignmentStrategy.MANUAL
        ):
            _pending_handoff_note(lead=lead, actor=actor, note=note, best_time_to_visit=best_time_to_visit)
            if team.lead is not None:
                notification_send(
                    recipient=team.lead,
                    kind=Notification.Kind.INFO,
                    lead=lead,
                    text=_("Lead %(lead)s is qualified: choose a sales rep.") % {"lead": lead},
                    url=reverse("qualification:lead", args=[lead.pk]),
                    dedupe_key=f"choose-rep:{lead.pk}:{lead.qualified_at.timestamp():.0f}",
                )
            return lead
        return lead_send_to_sales(
            lead_id=lead.pk, actor=actor, sales_rep=sales_rep, note=note, best_time_to_visit=best_time_to_visit
        )


def _pending_handoff_note(*, lead, actor, note, best_time_to_visit):
    if note or best_time_to_visit:
        history_record(
            lead=lead,
            actor=actor,
            event="handoff_note",
            description=" · ".join(filter(None, [note, best_time_to_visit])),
        )


def _handoff_summary_create(*, lead, actor, note, best_time_to_visit):
    answers = selectors.answers_snapshot(lead=lead)
    by_code = {row["code"]: row for row in answers}
    return HandoffSummary.objects.create(
        lead=lead,
        sales_rep=lead.sales_rep,
        created_by=actor,
        checklist_version=answers[0]["version"] if answers else None,
        answers=answers,
        budget=by_code.get("budget", {}).get("answer", ""),
        timeline=by_code.get("timeline", {}).get("answer", ""),
        best_time_to_visit=best_time_to_visit,
        note=note,
    )


def _handoff_notify(*, lead, summary, actor):
    parts = [
        _("New lead %(lead)s from %(who)s") % {"lead": lead, "who": _name(actor)},
        summary.budget and _("budget %s") % summary.budget,
        summary.timeline and _("timeline %s") % summary.timeline,
        summary.best_time_to_visit and _("visit: %s") % summary.best_time_to_visit,
        summary.note,
    ]
    notification_send(
        recipient=lead.sales_rep,
        kind=Notification.Kind.HANDOFF,
        lead=lead,
        text="; ".join(filter(None, parts)),
        url=_deal_url(lead),
        dedupe_key=f"handoff:{lead.pk}:{summary.pk}",
        email=True,
    )


def _deal_url(lead):
    try:
        return reverse("sales:deal", args=[lead.pk])
    except NoReverseMatch:  # the board has no deal page: the board itself
        return reverse("sales:index")


def _name(user):
    return user.get_full_name() or user.username
