"""Writes of the qualifier's workspace: claim, qualify, disqualify, hand-off."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Reason, SlaState, Team
from leadflow.services import history_record, lead_transition, lock_lead
from leadflow.workhours import WorkCalendar

from .exceptions import AlreadyClaimed, PermissionRefused, TransitionRefused
from .models import CallAttempt


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
    raise PermissionRefused(_("This lead is held by another qualifier."))


def lead_claim(*, lead_id: int, actor) -> Lead:
    """Take a new lead. Of two people claiming at once exactly one wins; the other gets AlreadyClaimed."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_team_member(lead=lead, actor=actor)
        if lead.status != LeadStatus.NEW or lead.qualifier_id is not None:
            if lead.qualifier_id == actor.pk:
                return lead
            raise AlreadyClaimed()

        def prepare(locked):
            locked.qualifier = actor

        return lead_transition(lead=lead, name="claim", actor=actor, prepare=prepare)


def lead_qualify(*, lead_id: int, actor, note: str = "") -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        return lead_transition(lead=lead, name="qualify", actor=actor, description=note)


def lead_disqualify(*, lead_id: int, actor, reason: Reason, note: str = "") -> Lead:
    if reason is None or reason.kind != Reason.Kind.DISQUALIFY:
        raise TransitionRefused(_("Choose a disqualification reason."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)

        def prepare(locked):
            locked.disqualify_reason = reason
            if locked.qualifier_id is None:
                locked.qualifier = actor

        description = f"{reason.title}. {note}".strip() if note else reason.title
        return lead_transition(lead=lead, name="disqualify", actor=actor, prepare=prepare, description=description)


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
            description=note or _("To %(rep)s") % {"rep": sales_rep.get_full_name() or sales_rep.username},
            at=now,
            acceptance_due_at=due,
        )


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
        lead.save(update_fields=fields)
        history_record(
            lead=lead,
            actor=actor,
            event="call_attempt",
            description=f"{attempt.get_outcome_display()}. {note}".strip(". "),
            at=called_at,
        )
        return attempt
