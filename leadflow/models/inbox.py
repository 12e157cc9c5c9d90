"""What reached us (inquiries, idempotent per source and external id) and what we told people."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import Source
from .lead import Lead


class InquiryChannel(models.TextChoices):
    """How an inquiry reached us (stored codes; the label is what people read)."""

    API = "api", _("API")
    FORM = "form", _("website form")
    IMPORT = "import", _("file import")
    CALL = "call", _("phone call")
    ADMIN = "admin", _("entered by hand")

    @classmethod
    def label_of(cls, code):
        try:
            return cls(code).label
        except ValueError:
            return _("other channel")


class Inquiry(models.Model):
    """Every delivery that reached us: the first one created the lead, repeats attach to it.

    `(source, external_id)` is unique, so a redelivery is recognised and never duplicates anything.
    """

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="inquiries")
    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="inquiries")
    external_id = models.CharField(_("external id"), max_length=120, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=20, choices=InquiryChannel.choices, default=InquiryChannel.API)
    message = models.TextField(_("message"), blank=True)
    payload = models.JSONField(_("original delivery"), default=dict, blank=True)
    is_repeat = models.BooleanField(_("repeat inquiry"), default=False)
    # 152-ФЗ: consent is given per delivery (a repeat may come from another channel), so it lives here
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    # db_default: the bulk path (leadflow/bulk.py COPY) names its columns and leaves these out
    consent_basis = models.CharField(_("consent basis"), max_length=200, blank=True, default="", db_default="")
    consent_policy = models.CharField(_("privacy policy"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_inquiry_per_source_external_id",
            )
        ]

    def __str__(self):
        return f"{self.source} {self.external_id or self.pk}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        HANDOFF = "handoff", _("New hand-off")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breach")
        REASSIGNED = "reassigned", _("Reassigned")
        DISPUTE = "dispute", _("Dispute")
        ARBITRATION = "arbitration", _("Arbitration decision")
        ACCEPTANCE_OVERDUE = "acceptance_overdue", _("Acceptance overdue")
        VISIT_REMINDER = "visit_reminder", _("Visit reminder")
        INFO = "info", _("Information")
        DIGEST = "digest", _("Weekly digest")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # makes a notification idempotent: the same (recipient, dedupe_key) is never sent twice
    dedupe_key = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="unique_notification_dedupe"
            )
        ]

    def __str__(self):
        return self.text
