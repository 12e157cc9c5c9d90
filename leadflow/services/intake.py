"""Intake: a new lead, a repeat inquiry attached to the open lead of that phone, or a redelivery.
Saved first, in one transaction; the SLA work is announced after commit, so intake never depends on
the broker."""

import functools
import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import hotcache
from ..models import (
    OPEN_STATUSES,
    Inquiry,
    InquiryChannel,
    Lead,
    LeadEvent,
    SlaState,
    Team,
)
from ..signals import lead_received
from ..vertical import vocabulary_stamp
from ..workhours import WorkCalendar
from .history import history_record

log = logging.getLogger("leadflow.services")


def default_qualification_team():
    """The team new leads go to; cached for a few seconds per process (leadflow.hotcache)."""
    team = hotcache.get_or_load(
        "default-qualification-team",
        lambda: Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("pk").first(),
    )
    if team is None:
        raise RuntimeError("No active qualification team: create one in the admin.")
    return team


def sla_deadlines(*, team, received_at):
    calendar = hotcache.get_or_load(("work-calendar", team.pk), lambda: WorkCalendar.for_team(team))
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
    "language",
    "message",
)


class IntakeResult:
    """What intake did: `created` a new lead, `attached` a repeat inquiry, or recognised a `duplicate`.

    `lead_id`, `status` and `received_at` are the lead's (what the API answers); `lead` is the Lead itself,
    built on first use when intake has only its columns (the PostgreSQL path: building a model instance of
    ~55 fields cost the API, which does not need it, a few percent of a request)."""

    def __init__(self, lead=None, *, created=False, attached=False, duplicate=False, new_lead=None):
        self.created, self.attached, self.duplicate = created, attached, duplicate
        self._lead, self._new_lead = lead, new_lead
        source = lead if lead is not None else new_lead
        self.lead_id, self.status, self.received_at = source.pk, source.status, source.received_at

    @property
    def lead(self):
        if self._lead is None:
            self._lead = self._new_lead.lead()
        return self._lead


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
    delivery = {
        "source": source,
        "phone": phone,
        "external_id": external_id,
        "channel": channel,
        "received_at": received_at,
        "payload": payload_storable(payload or {}),
        "consent": consent,
        "fields": fields,
    }
    try:
        if connection.vendor == "postgresql":
            result = _lead_receive_one_round_trip(**delivery)
        else:
            with transaction.atomic():
                result = _lead_receive(**delivery)
    except IntegrityError:
        # A concurrent delivery of the same (source, external_id) won the race: answer with its lead.
        existing = Inquiry.objects.select_related("lead").filter(source=source, external_id=external_id).first()
        if not external_id or existing is None:
            raise
        return IntakeResult(existing.lead, duplicate=True)
    if result.created:
        lead_id = result.lead_id
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


def _lead_receive_one_round_trip(*, source, phone, external_id, channel, received_at, payload, consent, fields):
    """`_lead_receive` on PostgreSQL: the same rows in one round trip (leadflow.services.intake_sql)."""
    from .intake_sql import receive_in_one_round_trip

    team = default_qualification_team()
    warn_at, breach_at = sla_deadlines(team=team, received_at=received_at)
    received = receive_in_one_round_trip(
        source=source,
        phone=phone,
        external_id=external_id,
        channel=channel,
        received_at=received_at,
        payload=payload,
        consent=consent,
        fields=fields,
        team=team,
        warn_at=warn_at,
        breach_at=breach_at,
    )
    return IntakeResult(received.lead, new_lead=received.new_lead, **{received.kind: True})


def _lead_receive(*, source, phone, external_id, channel, received_at, payload, consent, fields):
    """The ORM path (SQLite, and the reference the PostgreSQL path is tested against)."""
    # The hot path (a new lead) reads ids only: compiling a query over Lead's ~70 columns costs more
    # CPU than running it, so the full lead is fetched only when there is one to return.
    _lock_phone(phone)
    # both checks under the phone lock: a concurrent delivery of the same phone may have just committed
    duplicate_of, open_lead_id = _delivery_and_open_lead(source_id=source.pk, external_id=external_id, phone=phone)
    if duplicate_of is not None:
        return IntakeResult(Lead.objects.get(pk=duplicate_of), duplicate=True)
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
            description=history_texts(source.name, channel)[1],
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
        description=history_texts(source.name, channel)[0],
        at=received_at,
    )
    return IntakeResult(lead, created=True)


def history_texts(source_name, channel):
    """The history texts of a new lead and of a repeat inquiry, in the active language and vertical
    vocabulary: kept per source, channel and catalog (a few of each) instead of translated per lead."""
    return _history_texts(source_name, channel, vocabulary_stamp())


@functools.lru_cache(maxsize=256)
def _history_texts(source_name, channel, stamp):
    # `stamp` is part of the key only: gettext reads the active catalog
    received = _("Received via %(source)s (%(channel)s)") % {
        "source": source_name,
        "channel": InquiryChannel.label_of(channel),
    }
    return received, _("Repeat inquiry via %(source)s") % {"source": source_name}


def _delivery_and_open_lead(*, source_id, external_id, phone):
    """(lead of an earlier delivery with this external id, newest open lead of this phone) in one SELECT.

    Written as SQL: compiling the two ORM queries cost more CPU than running them (issue 14). Same
    filters as before: `(source, external_id)` on the inquiries; open status and not archived on the
    lead, newest received first (lead_phone_status_idx).
    """
    open_statuses = [str(status) for status in OPEN_STATUSES]
    placeholders = ", ".join(["%s"] * len(open_statuses))
    delivery = (
        f"(SELECT lead_id FROM {Inquiry._meta.db_table} WHERE source_id = %s AND external_id = %s LIMIT 1)"
        if external_id
        else "NULL"
    )
    sql = (
        f"SELECT {delivery}, (SELECT id FROM {Lead._meta.db_table} WHERE phone = %s AND status IN ({placeholders})"
        " AND is_archived = %s ORDER BY received_at DESC LIMIT 1)"
    )
    params = ([source_id, external_id] if external_id else []) + [phone, *open_statuses, False]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _lock_phone(phone):
    """Serialise intake per phone so two inquiries from one number never open two leads."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [phone])
