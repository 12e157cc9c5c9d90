"""Call attempts: the first one stops the lead's SLA clock."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access
from leadflow.models import LeadEvent, SlaState
from leadflow.services import history_record, lock_lead

from ..exceptions import TransitionRefused
from ..models import CallAttempt


def sla_state_on_first_call(*, lead, called_at):
    """met: called by the breach deadline; met_late: after it. The warning and breach timestamps
    (sla_warned_at, sla_breached_at) stay on the lead for good, so a late call is still counted.

    The state only moves forward: once the breach is recorded, no call, however it is dated, makes
    the lead `met` (a back-dated event would otherwise erase a breach everybody was told about)."""
    if lead.sla_state == SlaState.BREACHED or lead.sla_breached_at is not None:
        return SlaState.MET_LATE
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
    reported_by=None,
    channel: str = CallAttempt.Channel.MANUAL,
    recording_ref: str = "",
) -> CallAttempt:
    """Log a call attempt (by hand or from telephony). The first one stops the lead's SLA clock.

    A callback request puts the lead back at the top of its qualifier's queue at `callback_at`.
    Idempotent by `external_event_id`: a redelivered telephony event returns the attempt it made.
    `reported_by` is the API credential of a telephony event (None when a person logs the call);
    `channel` says how it was logged (by hand, the webhook, the PBX's own events).
    An outbound call answers a client who called back: it clears the lead's `client_called_back_at`.
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
            access.ensure_holder(lead=lead, actor=actor)
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
            reported_by=reported_by,
            channel=channel,
            recording_ref=recording_ref,
        )
        fields = ["last_activity_at", "callback_at", "updated_at"]
        if direction == CallAttempt.Direction.OUTBOUND and lead.client_called_back_at is not None:
            lead.client_called_back_at = None
            fields.append("client_called_back_at")
        lead.last_activity_at = max(filter(None, [lead.last_activity_at, called_at]))
        lead.callback_at = attempt.callback_at
        if lead.first_call_at is None or called_at < lead.first_call_at:
            lead.first_call_at = called_at
            # a telephony event without a known operator is the holder's call
            lead.first_called_by_id = actor.pk if actor is not None else lead.qualifier_id
            fields += ["first_call_at", "first_called_by"]
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
        description = f"{attempt.get_outcome_display()} ({attempt.get_channel_display()}). {note}".strip(". ")
        if attempt.callback_at:
            local = timezone.localtime(attempt.callback_at)
            description += ". " + _("Call back at %(when)s") % {"when": local.strftime("%d.%m.%Y %H:%M")}
        history_record(lead=lead, actor=actor, event=LeadEvent.CALL_ATTEMPT, description=description, at=called_at)
        return attempt
