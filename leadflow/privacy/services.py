"""Writes for personal data: the retention run and a person's export and erasure requests (152-ФЗ).

Anonymising a lead blanks what identifies the person — name, phone, e-mail, address, free texts, the raw
deliveries, the history's descriptions, and what the apps registered (call notes, visit addresses…) —
and keeps every figure the reports count: statuses, timestamps, amounts, people, team, source, utm,
product interest, region, reasons, criteria answers. The phone becomes `anon-<pk>`: unique per lead and
never a number, so intake (which matches open leads by the exact E.164 phone) cannot attach a new inquiry
from the real number to it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from .. import access
from ..exceptions import TransitionRefused
from ..models import OPEN_STATUSES, Inquiry, Lead, LeadEvent, Notification, SecurityEvent
from ..phones import mask_phone
from ..services import history_record, security_event_record
from . import registry
from .selectors import personal_data_of, retention_due, retention_report

log = logging.getLogger(__name__)

ANONYMISED_PHONE_PREFIX = "anon-"
RETENTION_BATCH_SIZE = 500


def retention_cutoff(now=None):
    return (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def leads_anonymise(*, before=None, dry_run=False, actor=None, batch_size=RETENTION_BATCH_SIZE):
    """The retention run: anonymise leads closed as disqualified or lost before `before` (default: the
    retention period ago). Returns a RetentionReport; `dry_run` only counts. Batched (one transaction per
    batch, so a big first run never holds long locks) and idempotent: an anonymised lead is never due again."""
    before = before or retention_cutoff()
    report = retention_report(before=before, dry_run=dry_run)
    if dry_run:
        return report
    at = timezone.now()
    description = _("Retention period over")
    while True:
        with transaction.atomic():
            # skip_locked: a second run at the same time (or a lead being written) takes other rows
            batch = list(
                retention_due(before=before)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "status")[:batch_size]
            )
            if not batch:
                break
            _anonymise_locked(batch, at=at, actor=actor, description=description)
        report.anonymised += len(batch)
    log.info("retention: %s leads anonymised (closed before %s)", report.anonymised, before.isoformat())
    return report


def personal_data_export(*, phone, actor, ip=None):
    """What we hold about the person of `phone` (E.164), for their request; the export is logged."""
    access.ensure_may_handle_personal_data(actor)
    data = personal_data_of(phone)
    data["exported_at"] = timezone.now()
    security_event_record(
        kind=SecurityEvent.Kind.PERSONAL_DATA_EXPORTED,
        actor=actor,
        ip=ip,
        detail=_("%(phone)s: %(count)s leads") % {"phone": mask_phone(phone), "count": len(data["leads"])},
    )
    return data


def personal_data_erase(*, phone, actor, ip=None):
    """The person's erasure request: every lead of `phone` anonymised now, won ones too. Refused while a
    lead of that phone is still open: someone is working it, so it is closed (disqualified or lost, with
    the reason "asked to delete their data") first, on purpose. Returns the number of leads anonymised."""
    access.ensure_may_handle_personal_data(actor)
    with transaction.atomic(durable=True):
        leads = list(Lead.objects.select_for_update().filter(phone=phone).order_by("pk").values_list("pk", "status"))
        still_open = [pk for pk, status in leads if status in OPEN_STATUSES]
        if still_open:
            raise TransitionRefused(
                _("Leads %(leads)s of this phone are still being worked: close them first, then erase.")
                % {"leads": ", ".join(f"#{pk}" for pk in still_open)}
            )
        if leads:
            _anonymise_locked(leads, at=timezone.now(), actor=actor, description=_("At the person's request"))
        security_event_record(
            kind=SecurityEvent.Kind.PERSONAL_DATA_ERASED,
            actor=actor,
            ip=ip,
            detail=_("%(phone)s: %(count)s leads") % {"phone": mask_phone(phone), "count": len(leads)},
        )
    return len(leads)


def _anonymise_locked(leads, *, at, actor, description):
    """Blank the person in these (pk, status) leads and their rows; the caller holds the rows' locks."""
    ids = [pk for pk, _status in leads]
    Lead.objects.filter(pk__in=ids).update(
        name="",
        phone=Concat(Value(ANONYMISED_PHONE_PREFIX), Cast("pk", output_field=CharField())),
        email="",
        address="",
        message="",
        outcome_note="",
        anonymised_at=at,
    )
    Inquiry.objects.filter(lead_id__in=ids).update(message="", payload={})
    Notification.objects.filter(lead_id__in=ids).update(
        text=Concat(Value(_("Lead #")), Cast("lead_id", output_field=CharField()))
    )
    # the history keeps its events, times and people; its free texts (notes, reasons typed) go
    StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Lead), object_id__in=ids).update(
        description=""
    )
    for holder in registry.holders():
        holder.anonymise(ids)
    for pk, status in leads:
        history_record(
            lead=Lead(pk=pk, status=status),
            actor=actor,
            event=LeadEvent.PERSONAL_DATA_REMOVED,
            description=description,
            at=at,
        )


__all__ = [
    "leads_anonymise",
    "personal_data_erase",
    "personal_data_export",
    "retention_cutoff",
]
