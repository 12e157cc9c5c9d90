"""Calls through the PBX (imported as qualification.services.pbx: it builds on qualification.sla,
which builds on the other services): click-to-call, and the PBX's events that log the call by themselves.

`pbx_call_place` asks the PBX to ring the qualifier's extension, then the client. `pbx_event_apply`
folds one notification into the call's `PbxCall` (events arrive in any order, twice, or late: the state
only moves forward and each fact is kept once); the call's end makes its one call attempt through the
telephony code path every channel shares (qualification.sla.telephony.call_event_record), which stops
the SLA clock with the PBX's own timestamp under the same bounds as the generic webhook. A missed
inbound call from the client of an open lead marks it "client called back" (the queue puts it first)
and tells its qualifier."""

import logging
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access
from leadflow.models import OPEN_STATUSES, Lead, Notification, PbxAccount
from leadflow.phones import normalize_phone
from leadflow.services import lock_lead
from leadflow.services.notifications import notification_send
from leadflow.telephony import EventKind, PbxError, PbxEvent, adapter_for

from ..exceptions import CallEventRefused, TransitionRefused
from ..models import CallAttempt, PbxCall
from ..sla.telephony import call_event_record, call_operator_find, call_start_problem
from .recordings import recording_fetch_schedule

log = logging.getLogger("qualification.pbx")
STATE_OF_EVENT = {
    EventKind.RINGING: PbxCall.State.RINGING,
    EventKind.TALKING: PbxCall.State.TALKING,
    EventKind.ENDED: PbxCall.State.ENDED,
}
# a PBX that names no call in its answer (Zadarma) is matched to our click by extension and number
CLICK_MATCH_WINDOW = timedelta(minutes=5)


def pbx_account_active():
    return PbxAccount.objects.filter(is_active=True).order_by("pk").first()


def pbx_call_place(*, lead_id: int, actor) -> PbxCall:
    """Click-to-call: the PBX rings `actor`'s extension, then the lead's client."""
    account = pbx_account_active()
    if account is None:
        raise TransitionRefused(_("No PBX is connected: dial the number yourself."))
    extension = getattr(getattr(actor, "profile", None), "phone_extension", "")
    if not extension:
        raise TransitionRefused(_("Your profile has no phone extension: ask the administrator to add it."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        if not lead.is_open:
            raise TransitionRefused(_("The lead is closed: calls are no longer logged on it."))
        call = PbxCall.objects.create(
            account=account,
            command_id=uuid.uuid4().hex,
            lead=lead,
            user=actor,
            direction=CallAttempt.Direction.OUTBOUND,
            client_phone=lead.phone,
            extension=extension,
            placed_at=timezone.now(),
        )
    # committed before the PBX is asked (its first event may arrive before its answer), and no row lock
    # is held over the network
    try:
        adapter_for(account).place_call(extension=extension, client_phone=lead.phone, command_id=call.command_id)
    except PbxError as exc:
        PbxCall.objects.filter(pk=call.pk).update(state=PbxCall.State.ENDED, answered=False, ended_at=timezone.now())
        raise TransitionRefused(exc.message) from exc
    return call


def _phone(raw):
    try:
        return normalize_phone(raw) if raw else ""
    except ValidationError:
        return ""


def _find_locked(account, event: PbxEvent, client_phone):
    calls = PbxCall.objects.select_for_update()
    call = calls.filter(account=account, call_id=event.call_id).first()
    if call is None and event.command_id:
        call = calls.filter(account=account, command_id=event.command_id).first()
    if call is None and event.direction == CallAttempt.Direction.OUTBOUND and event.extension and client_phone:
        call = (
            calls.filter(
                account=account,
                call_id="",
                extension=event.extension,
                client_phone=client_phone,
                placed_at__gte=(event.at or timezone.now()) - CLICK_MATCH_WINDOW,
            )
            .order_by("-placed_at")
            .first()
        )
    return call


def pbx_event_apply(*, account, event: PbxEvent) -> PbxCall | None:
    """Fold one PBX notification into its call; idempotent, order-independent. None: nothing to keep."""
    if event.kind == EventKind.IGNORED or not event.call_id:
        return None
    try:
        with transaction.atomic():
            return _event_apply(account, event)
    except IntegrityError:
        # the first two events of one call at once: the other one created the row; fold into it
        with transaction.atomic():
            return _event_apply(account, event)


def _event_apply(account, event):
    client_phone = _phone(event.client_phone)
    call = _find_locked(account, event, client_phone)
    if call is None:
        if event.kind == EventKind.RECORDING:
            call = PbxCall(account=account, call_id=event.call_id, state=PbxCall.State.PLACED)
        else:
            call = PbxCall(account=account, call_id=event.call_id, state=PbxCall.State.RINGING)
    call.call_id = call.call_id or event.call_id
    call.direction = call.direction or event.direction
    call.client_phone = call.client_phone or client_phone
    call.extension = call.extension or event.extension
    started = event.started_at or (event.at if event.kind == EventKind.RINGING else None)
    if started and (call.started_at is None or started < call.started_at):
        call.started_at = started
    new_state = STATE_OF_EVENT.get(event.kind)
    if new_state and PbxCall.STATE_ORDER[new_state] > PbxCall.STATE_ORDER[PbxCall.State(call.state)]:
        call.state = new_state
    if event.kind == EventKind.ENDED:
        call.ended_at = call.ended_at or event.at
        if event.answered is not None and call.answered is None:
            call.answered, call.talk_seconds = event.answered, event.talk_seconds or 0
    if event.recording_ref and not call.recording_ref:
        call.recording_ref = event.recording_ref
    if call.user_id is None and call.extension:
        call.user = call_operator_find(call.extension)
    if call.lead_id is None and call.client_phone:
        call.lead = (
            Lead.objects.filter(phone=call.client_phone, status__in=OPEN_STATUSES, is_archived=False)
            .order_by("-received_at")
            .first()
        )
    call.save()
    if call.attempt_id is None and call.state == PbxCall.State.ENDED and call.answered is not None:
        _attempt_make(account, call)
    elif (
        call.attempt_id
        and call.recording_ref
        and CallAttempt.objects.filter(pk=call.attempt_id, recording_ref="").update(recording_ref=call.recording_ref)
    ):
        recording_fetch_schedule(call.attempt_id)  # the recording became known after the call was logged
    return call


def _attempt_make(account, call):
    """The call's one call attempt, through the path the generic webhook takes (same SLA rules)."""
    started = call.started_at or call.ended_at or timezone.now()
    if not call.client_phone or call.direction not in CallAttempt.Direction.values:
        return
    problem = call_start_problem(started)
    if problem:
        log.warning("PBX call %s not logged: %s", call, problem)
        return
    missed_inbound = call.direction == CallAttempt.Direction.INBOUND and not call.answered
    known_lead = call.lead
    try:
        result = call_event_record(
            event_id=f"pbx:{account.pk}:{call.call_id}",
            client_phone=call.client_phone,
            direction=call.direction,
            started_at=started,
            duration_seconds=call.talk_seconds or 0,
            answered=bool(call.answered),
            operator=call.user,
            payload={"provider": account.provider, "call_id": call.call_id, "extension": call.extension},
            channel=CallAttempt.Channel.PBX,
            recording_ref=call.recording_ref,
        )
    except CallEventRefused as exc:
        log.warning("PBX call %s not logged: %s", call, exc.message)
        return
    call.lead = result.lead or call.lead
    call.attempt = result.attempt
    call.save(update_fields=["lead", "attempt", "updated_at"])
    if result.attempt is not None and result.attempt.recording_ref:
        recording_fetch_schedule(result.attempt.pk)
    if missed_inbound and known_lead is not None:
        _client_called_back(lead_id=known_lead.pk, at=started, call=call)


def _client_called_back(*, lead_id, at, call):
    lead = lock_lead(lead_id)
    if lead.client_called_back_at is None:
        lead.client_called_back_at = at
        lead.save(update_fields=["client_called_back_at", "updated_at"])
    recipient = lead.qualifier
    if recipient is not None:
        notification_send(
            recipient=recipient,
            kind=Notification.Kind.INFO,
            text=_("The client called back and was missed: %(lead)s, %(phone)s. The lead is at the top of your queue.")
            % {"lead": lead.name or f"#{lead.pk}", "phone": lead.phone},
            lead=lead,
            url=reverse("qualification:lead", args=[lead.pk]),
            dedupe_key=f"client-called-back:{call.account_id}:{call.call_id}",
        )
