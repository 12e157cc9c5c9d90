"""Reads for personal data: the leads retention is due for, everything we hold about a phone."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Min
from django_fsm_log.models import StateLog

from ..models import Lead, LeadEvent, LeadStatus
from . import registry

# Retention removes the person from leads that ended without a deal; a won lead is a contract whose
# documents the company keeps under other law, and is only anonymised on the person's request.
RETENTION_STATUSES = (LeadStatus.DISQUALIFIED, LeadStatus.LOST)

LEAD_EXPORT_FIELDS = (
    "id",
    "status",
    "received_at",
    "closed_at",
    "name",
    "phone",
    "email",
    "city",
    "region",
    "address",
    "language",
    "product_interest",
    "message",
    "outcome_note",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "anonymised_at",
)


@dataclass
class RetentionReport:
    """What a retention run found (and, unless a dry run, anonymised)."""

    before: datetime
    dry_run: bool
    by_status: dict[str, int] = field(default_factory=dict)
    oldest_closed_at: datetime | None = None
    newest_closed_at: datetime | None = None
    anonymised: int = 0

    @property
    def total(self):
        return sum(self.by_status.values())


def retention_due(*, before):
    """Leads closed without a deal before `before` whose person is still on record."""
    return Lead.objects.filter(status__in=RETENTION_STATUSES, closed_at__lt=before, anonymised_at__isnull=True)


def retention_report(*, before, dry_run):
    report = RetentionReport(before=before, dry_run=dry_run)
    rows = (
        retention_due(before=before)
        .values("status")
        .annotate(n=Count("pk"), oldest=Min("closed_at"), newest=Max("closed_at"))
    )
    for row in rows.order_by("status"):
        report.by_status[row["status"]] = row["n"]
        if report.oldest_closed_at is None or row["oldest"] < report.oldest_closed_at:
            report.oldest_closed_at = row["oldest"]
        if report.newest_closed_at is None or row["newest"] > report.newest_closed_at:
            report.newest_closed_at = row["newest"]
    return report


def leads_of_phone(phone):
    """The leads of a (normalised) phone, newest first, for the director's requests page."""
    return list(
        Lead.objects.filter(phone=phone)
        .select_related("source")
        .only("pk", "status", "received_at", "closed_at", "name", "phone", "source__name", "anonymised_at")
        .order_by("-received_at")
    )


def personal_data_of(phone):
    """Everything we hold about the person of `phone`: their leads with inquiries, history and what the
    apps registered (calls, answers, visits…). JSON-ready but for datetimes and decimals."""
    leads = list(Lead.objects.filter(phone=phone).select_related("source").order_by("received_at"))
    ids = [lead.pk for lead in leads]
    by_lead = {lead.pk: _lead_row(lead) for lead in leads}
    for inquiry in _inquiries(ids):
        by_lead[inquiry.pop("lead_id")]["inquiries"].append(inquiry)
    for entry in _history(ids):
        by_lead[entry.pop("lead_id")]["history"].append(entry)
    for holder in registry.holders():
        for row in holder.export(ids):
            by_lead[row.pop("lead")].setdefault(holder.key, []).append(row)
    return {"phone": phone, "leads": [by_lead[pk] for pk in ids]}


def _lead_row(lead):
    row = {name: getattr(lead, name) for name in LEAD_EXPORT_FIELDS}
    row["status"] = lead.get_status_display()
    row["product_interest"] = lead.get_product_interest_display()
    row["language"] = lead.get_language_display()
    row["source"] = lead.source.name
    row.update(inquiries=[], history=[])
    return row


def _inquiries(lead_ids):
    from ..models import Inquiry

    return (
        Inquiry.objects.filter(lead_id__in=lead_ids)
        .order_by("received_at", "pk")
        .values(
            "lead_id",
            "received_at",
            "source__name",
            "channel",
            "message",
            "payload",
            "consent_at",
            "consent_basis",
            "consent_policy",
        )
    )


def _history(lead_ids):
    rows = (
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Lead), object_id__in=lead_ids)
        .order_by("timestamp", "pk")
        .values("object_id", "timestamp", "transition", "description")
    )
    return [
        {
            "lead_id": row["object_id"],
            "at": row["timestamp"],
            "event": str(LeadEvent.label_of(row["transition"])),
            "description": row["description"] or "",
        }
        for row in rows
    ]


@dataclass(frozen=True)
class PrivacyPolicy:
    url: str
    version: str

    def __str__(self):
        """What a consent stores: which text the person agreed to."""
        return f"{self.url} (v{self.version})"


def privacy_policy():
    """The policy the intake form links to: PRIVACY_POLICY_URL, or the app's own /privacy/ page."""
    from django.conf import settings
    from django.urls import reverse

    return PrivacyPolicy(
        url=settings.PRIVACY_POLICY_URL or reverse("privacy-policy"), version=settings.PRIVACY_POLICY_VERSION
    )
