"""Writes of the pipeline core: intake, the transition runner, history rows and notifications.

Per-operation services (lead_claim, lead_qualify, lead_win…) live in the apps and call
`lead_transition`, which owns the row lock, the permission check and the audit row.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm
from django_fsm_log.models import StateLog

from .exceptions import LeadBusy, PermissionRefused, TransitionRefused
from .models import (
    OPEN_STATUSES,
    SLA_ENGINE,
    ApiToken,
    EngineHeartbeat,
    Inquiry,
    InquiryChannel,
    Lead,
    LeadEvent,
    Notification,
    SecurityEvent,
    SlaState,
    Team,
)
from .signals import lead_received
from .workhours import WorkCalendar

log = logging.getLogger(__name__)


# --- history ------------------------------------------------------------------------------------


def history_record(*, lead, actor=None, event, description="", at=None):
    """An append-only history row for something that is not a status change (SLA, lease, reassign).

    `event` must be a LeadEvent member: a bare string would put a code no label knows on the page.
    """
    if not isinstance(event, LeadEvent):
        raise TypeError(f"history_record needs a LeadEvent, got {event!r}")
    return StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=lead.pk,
        source_state=lead.status,
        state=lead.status,
        transition=event.value,
        by=actor,
        description=description,
        timestamp=at or timezone.now(),
    )


# --- transitions --------------------------------------------------------------------------------


def lock_lead(lead_id, *, nowait=False):
    """Re-read the lead under a row lock (PostgreSQL); SQLite serialises writers by itself."""
    try:
        return Lead.objects.select_for_update(nowait=nowait).get(pk=lead_id)
    except Lead.DoesNotExist:
        raise TransitionRefused(_("The lead does not exist.")) from None
    except Exception as exc:  # psycopg2 LockNotAvailable under nowait
        if nowait and exc.__class__.__name__ in {"OperationalError", "LockNotAvailable"}:
            raise LeadBusy() from exc
        raise


def lead_transition(*, lead, name, actor, description="", prepare=None, check_permission=True, **kwargs):
    """Run transition `name` on `lead` (a locked instance inside the caller's transaction).

    `prepare(lead)` sets the fields the guards look at (reason, amount…) before the guards run.
    Raises TransitionRefused or PermissionRefused with a message for the user.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lead_transition must run inside transaction.atomic()")
    method = getattr(lead, name)
    if prepare is not None:
        prepare(lead)
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(
            _("“%(action)s” is not possible: the lead is “%(status)s”.")
            % {"action": transition_action(lead, name), "status": lead.get_status_display()}
        )
    if not can_proceed(method):
        raise TransitionRefused(
            _("“%(action)s” is not possible yet: %(why)s")
            % {"action": transition_action(lead, name), "why": _refusal_text(lead, name)}
        )
    if check_permission and actor is not None and not has_transition_perm(method, actor):
        raise PermissionRefused()
    method(by=actor, description=description or None, **kwargs)
    lead.save()
    return lead


def _refusal_text(lead, name):
    """The failing guards' hints as one clause: "enter the quote amount; resolve the pending dispute first"."""
    return "; ".join(str(hint).rstrip(".") for hint in lead.refusal_hints(name)) + "."


def transition_action(lead, name):
    """The button word of transition `name` ("Take the lead"), read from the transition's `custom`."""
    return lead.transition_meta(name).custom["action"]


# --- intake -------------------------------------------------------------------------------------


def default_qualification_team():
    team = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("pk").first()
    if team is None:
        raise RuntimeError("No active qualification team: create one in the admin.")
    return team


def sla_deadlines(*, team, received_at):
    calendar = WorkCalendar.for_team(team)
    return (
        calendar.add_working_minutes(received_at, team.sla_warn_minutes),
        calendar.add_working_minutes(received_at, team.sla_breach_minutes),
    )


INTAKE_LEAD_FIELDS = (
    "name",
    "email",
    "city",
    "region",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "product_interest",
    "message",
)


class IntakeResult:
    """What intake did: `created` a new lead, `attached` a repeat inquiry, or recognised a `duplicate`."""

    def __init__(self, lead, *, created=False, attached=False, duplicate=False):
        self.lead, self.created, self.attached, self.duplicate = lead, created, attached, duplicate


def lead_receive(
    *,
    source,
    phone,
    external_id="",
    channel="api",
    received_at=None,
    payload=None,
    consent_at=None,
    consent_basis="",
    consent_policy="",
    **fields,
):
    """Save an inquiry: a new lead, a repeat attached to the open lead of that phone, or a redelivery.

    `phone` must already be E.164 (see leadflow.phones). Saved first, in one transaction; the SLA
    work is scheduled after commit, so intake never depends on the broker.
    The consent (152-ФЗ) is stored on the inquiry: the form passes the person's tick (`consent_at`, the
    policy); the API and the import carry the source's `consent_basis` unless told otherwise.
    """
    consent = {
        "consent_at": consent_at,
        "consent_basis": consent_basis or source.consent_basis,
        "consent_policy": consent_policy,
    }
    received_at = received_at or timezone.now()
    external_id = (external_id or "").strip()
    try:
        with transaction.atomic():
            result = _lead_receive(
                source=source,
                phone=phone,
                external_id=external_id,
                channel=channel,
                received_at=received_at,
                payload=payload_storable(payload or {}),
                consent=consent,
                fields=fields,
            )
    except IntegrityError:
        # A concurrent delivery of the same (source, external_id) won the race: answer with its lead.
        existing = Inquiry.objects.select_related("lead").filter(source=source, external_id=external_id).first()
        if not external_id or existing is None:
            raise
        return IntakeResult(existing.lead, duplicate=True)
    if result.created:
        lead_id = result.lead.pk
        transaction.on_commit(lambda: _announce_lead_received(lead_id))
    return result


def payload_storable(value):
    """The raw delivery as the JSON column can hold it: NUL removed, invalid Unicode replaced.

    PostgreSQL's jsonb refuses "\\u0000" and no database takes a lone surrogate; the delivery's unknown
    keys reach the payload unvalidated, so without this one stray byte turned a valid lead into a 500.
    """
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return value
    if isinstance(value, dict):
        return {payload_storable(str(key)): payload_storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [payload_storable(item) for item in value]
    return value


def _announce_lead_received(lead_id):
    """Tell the apps (SLA scheduling) after commit. The lead is already saved, so a receiver that fails
    (broker down, publish timeout) is logged, never raised into the request: the SLA sweep catches up."""
    for receiver, response in lead_received.send_robust(sender=Lead, lead_id=lead_id):
        if isinstance(response, Exception):
            log.error("lead_received receiver %r failed for lead %s", receiver, lead_id, exc_info=response)


def _lead_receive(*, source, phone, external_id, channel, received_at, payload, consent, fields):
    # The hot path (a new lead) reads ids only: compiling a query over Lead's ~70 columns costs more
    # CPU than running it, so the full lead is fetched only when there is one to return.
    _lock_phone(phone)
    if external_id:
        # checked under the phone lock: a concurrent delivery of the same phone may have just committed it
        duplicate_of = (
            Inquiry.objects.filter(source=source, external_id=external_id).values_list("lead_id", flat=True).first()
        )
        if duplicate_of is not None:
            return IntakeResult(Lead.objects.get(pk=duplicate_of), duplicate=True)
    open_lead_id = (
        Lead.objects.filter(phone=phone, status__in=OPEN_STATUSES, is_archived=False)
        .order_by("-received_at")
        .values_list("pk", flat=True)
        .first()
    )
    message = fields.get("message") or ""
    if open_lead_id is not None:
        open_lead = Lead.objects.get(pk=open_lead_id)
        Inquiry.objects.create(
            lead=open_lead,
            source=source,
            external_id=external_id,
            received_at=received_at,
            channel=channel,
            message=message,
            payload=payload,
            is_repeat=True,
            **consent,
        )
        history_record(
            lead=open_lead,
            event=LeadEvent.REPEAT_INQUIRY,
            description=_("Repeat inquiry via %(source)s") % {"source": source.name},
            at=received_at,
        )
        return IntakeResult(open_lead, attached=True)

    team = default_qualification_team()
    warn_at, breach_at = sla_deadlines(team=team, received_at=received_at)
    lead = Lead(
        phone=phone,
        source=source,
        external_id=external_id,
        received_at=received_at,
        qualification_team=team,
        sla_warn_at=warn_at,
        sla_breach_at=breach_at,
        sla_state=SlaState.PENDING,
        **{key: value for key, value in fields.items() if key in INTAKE_LEAD_FIELDS and value is not None},
    )
    lead.save()
    Inquiry.objects.create(
        lead=lead,
        source=source,
        external_id=external_id,
        received_at=received_at,
        channel=channel,
        message=message,
        payload=payload,
        **consent,
    )
    history_record(
        lead=lead,
        event=LeadEvent.RECEIVED,
        description=_("Received via %(source)s (%(channel)s)")
        % {"source": source.name, "channel": InquiryChannel.label_of(channel)},
        at=received_at,
    )
    return IntakeResult(lead, created=True)


def _lock_phone(phone):
    """Serialise intake per phone so two inquiries from one number never open two leads."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [phone])


# --- notifications ------------------------------------------------------------------------------


def notification_send(*, recipient, kind, text, lead=None, url="", dedupe_key="", email=False):
    """An in-app notification (idempotent by `dedupe_key`), plus an e-mail after commit if asked."""
    if recipient is None or not recipient.is_active:
        return None
    if dedupe_key:
        notification, created = Notification.objects.get_or_create(
            recipient=recipient,
            dedupe_key=dedupe_key,
            defaults={"kind": kind, "text": text[:500], "lead": lead, "url": url},
        )
        if not created:
            return notification
    else:
        notification = Notification.objects.create(recipient=recipient, kind=kind, text=text[:500], lead=lead, url=url)
    if email and recipient.email:
        address, subject, body = recipient.email, text[:120], f"{text}\n\n{url}"
        transaction.on_commit(lambda: _send_mail_quietly(subject, body, address))
    return notification


def _send_mail_quietly(subject, body, address):
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # a mail outage must not break the request that already committed
        log.exception("could not e-mail %s", address)


def notifications_mark_read(*, recipient, ids=None):
    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- API credentials ------------------------------------------------------------------------------


def api_token_issue(
    *, kind=ApiToken.Kind.INTAKE, source=None, name="", created_by=None, expires_at=None, rate_limit=""
):
    """A new API token; `token.key` holds the key in clear, to be shown once and never stored."""
    with transaction.atomic():
        token = ApiToken(
            kind=kind, source=source, name=name, created_by=created_by, expires_at=expires_at, rate_limit=rate_limit
        )
        token.set_new_key()
        token.full_clean(exclude=["key_hash", "prefix"])
        token.save()
        security_event_record(kind=SecurityEvent.Kind.TOKEN_ISSUED, actor=created_by, token=token)
    return token


def api_token_revoke(*, token_id, actor, at=None):
    """Revoke a token for good (a request with it is then a 401, logged); revoking twice changes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id)
        if token.is_active:
            token.is_active, token.revoked_at, token.revoked_by = False, at, actor
            token.save(update_fields=["is_active", "revoked_at", "revoked_by"])
            security_event_record(kind=SecurityEvent.Kind.TOKEN_REVOKED, actor=actor, token=token, at=at)
    return token


def api_token_rotate(*, token_id, actor, overlap=None, at=None):
    """A new key for the same integration: the new token works at once, the old one until the overlap
    ends (so the client can switch without a gap). Returns the new token with its key in clear."""
    at = at or timezone.now()
    overlap = overlap if overlap is not None else timedelta(hours=settings.API_TOKEN_ROTATION_OVERLAP_HOURS)
    with transaction.atomic():
        old = ApiToken.objects.select_for_update().get(pk=token_id)
        if not old.is_active or old.is_expired(at):
            raise TransitionRefused(_("A revoked or expired token cannot be rotated: issue a new one."))
        new = ApiToken(
            kind=old.kind,
            source=old.source,
            name=old.name,
            rate_limit=old.rate_limit,
            created_by=actor,
            rotated_from=old,
        )
        key = new.set_new_key()
        new.save()
        new.key = key
        old_ends = at + overlap
        if old.expires_at is None or old.expires_at > old_ends:
            old.expires_at = old_ends
            old.save(update_fields=["expires_at"])
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN_ROTATED,
            actor=actor,
            token=old,
            at=at,
            detail=_("Replaced by %(prefix)s…; the old key works until %(until)s.")
            % {"prefix": new.prefix, "until": timezone.localtime(old.expires_at).strftime("%d.%m.%Y %H:%M")},
        )
    return new


def security_event_record(*, kind, actor=None, token=None, ip=None, detail="", at=None):
    return SecurityEvent.objects.create(
        kind=kind, actor=actor, token=token, ip=ip or None, detail=str(detail)[:300], at=at or timezone.now()
    )


# --- engine liveness ----------------------------------------------------------------------------


def engine_heartbeat_record(*, name: str = SLA_ENGINE, at=None) -> None:
    """The engine ran (the beat's SLA sweep task, at the end of each run): one UPDATE, an INSERT the first time."""
    at = at or timezone.now()
    if not EngineHeartbeat.objects.filter(name=name).update(beat_at=at):
        EngineHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": at})
