"""Telephony events: a PBX call becomes a call attempt or a new call-tracking lead."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.models import OPEN_STATUSES, Lead, Source
from leadflow.services import lead_receive

from ..exceptions import CallEventRefused
from ..models import CallAttempt
from ..services import call_attempt_log
from .common import CALL_TRACKING_SOURCE

MAX_CLOCK_SKEW = timedelta(minutes=10)


def call_start_problem(started_at, *, now=None):
    """Why a telephony call's start cannot be taken as the SLA's timestamp (None when it can): the
    bounds every telephony channel shares (the generic webhook and the PBX adapters)."""
    now = now or timezone.now()
    if started_at > now + MAX_CLOCK_SKEW:
        return _("The call cannot start in the future.")
    if started_at < now - timedelta(hours=settings.TELEPHONY_EVENT_MAX_AGE_HOURS):
        # a PBX redelivers within hours; an older start is a wrong clock or an attempt to back-date
        return _("The call is older than %(hours)d hours: events are accepted only for recent calls.") % {
            "hours": settings.TELEPHONY_EVENT_MAX_AGE_HOURS
        }
    return None


@dataclass
class CallEventResult:
    lead: Lead | None = None
    attempt: CallAttempt | None = None
    lead_created: bool = False
    duplicate: bool = False


def call_operator_find(operator: str):
    """The user behind a PBX operator: an e-mail address or a phone extension (Profile)."""
    operator = (operator or "").strip()
    if not operator:
        return None
    users = get_user_model().objects.filter(is_active=True)
    if "@" in operator:
        return users.filter(email__iexact=operator).order_by("pk").first()
    return users.filter(profile__phone_extension=operator).order_by("pk").first()


def call_event_record(
    *,
    event_id: str,
    client_phone: str,
    direction: str,
    started_at,
    duration_seconds: int,
    answered: bool,
    operator=None,
    payload=None,
    reported_by=None,
    channel: str = CallAttempt.Channel.WEBHOOK,
    recording_ref: str = "",
) -> CallEventResult:
    """Record one telephony event; idempotent by `event_id`.

    - a call with the client of an open lead (outbound any outcome, inbound answered) is a call
      attempt on it (reached / no answer), which stops its SLA clock;
    - an inbound call from a number with no open lead becomes a new `call_tracking` lead (met at
      once if answered);
    - a missed inbound call is the client's attempt, not our response: it is attached to the lead
      as a repeat inquiry and the clock keeps running;
    - an outbound call to a number with no open lead is ignored;
    - a call that starts before its lead was received is refused (CallEventRefused): it cannot have
      been the response to that lead, and accepting it would back-date the lead's first call.

    `reported_by` is the API credential that delivered the event; it is kept on the call attempt.
    """
    existing = CallAttempt.objects.select_related("lead").filter(external_event_id=event_id).first()
    if existing is not None:
        return CallEventResult(lead=existing.lead, attempt=existing, duplicate=True)
    inbound = direction == CallAttempt.Direction.INBOUND
    try:
        with transaction.atomic():
            return _call_event_record(
                event_id=event_id,
                client_phone=client_phone,
                inbound=inbound,
                direction=direction,
                started_at=started_at,
                duration_seconds=duration_seconds,
                answered=answered,
                operator=operator,
                payload=payload or {},
                reported_by=reported_by,
                channel=channel,
                recording_ref=recording_ref,
            )
    except IntegrityError:
        # the same event delivered twice at once: the other delivery recorded it
        existing = CallAttempt.objects.select_related("lead").filter(external_event_id=event_id).first()
        if existing is None:
            raise
        return CallEventResult(lead=existing.lead, attempt=existing, duplicate=True)


def _call_event_record(
    *,
    event_id,
    client_phone,
    inbound,
    direction,
    started_at,
    duration_seconds,
    answered,
    operator,
    payload,
    reported_by,
    channel=CallAttempt.Channel.WEBHOOK,
    recording_ref="",
):
    result = CallEventResult()
    lead = (
        Lead.objects.filter(phone=client_phone, status__in=OPEN_STATUSES, is_archived=False)
        .order_by("-received_at")
        .first()
    )
    if inbound and (lead is None or not answered):
        source = Source.objects.get(code=CALL_TRACKING_SOURCE)
        intake = lead_receive(
            source=source,
            phone=client_phone,
            external_id=event_id,
            channel="call",
            received_at=started_at,
            payload=payload,
            message=_("Inbound call") if answered else _("Missed inbound call"),
        )
        lead, result.lead_created, result.duplicate = intake.lead, intake.created, intake.duplicate
    result.lead = lead
    if lead is None or (inbound and not answered):
        return result
    if started_at < lead.received_at:
        raise CallEventRefused(
            _("The call started at %(started)s, before the lead #%(lead)s was received (%(received)s).")
            % {
                "started": timezone.localtime(started_at).strftime("%d.%m.%Y %H:%M:%S"),
                "lead": lead.pk,
                "received": timezone.localtime(lead.received_at).strftime("%d.%m.%Y %H:%M:%S"),
            },
            field="started_at",
        )
    note = _("Telephony, %(seconds)s s") % {"seconds": duration_seconds}
    if operator is None and payload.get("operator"):
        note += f", {payload['operator']}"
    result.attempt = call_attempt_log(
        lead_id=lead.pk,
        actor=operator,
        outcome=CallAttempt.Outcome.REACHED if answered else CallAttempt.Outcome.NO_ANSWER,
        note=note,
        called_at=started_at,
        direction=direction,
        duration_seconds=duration_seconds,
        external_event_id=event_id,
        check_holder=False,
        reported_by=reported_by,
        channel=channel,
        recording_ref=recording_ref,
    )
    result.duplicate = False
    result.lead = result.attempt.lead  # the instance call_attempt_log locked and saved
    return result
