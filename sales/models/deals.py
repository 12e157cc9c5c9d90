"""The deal board's data: hand-off disputes and their arbitration, measurement visits, measurements.

Status changes of the lead stay on Lead (leadflow.models); these rows record what happened around
them so that "bad leads" / "couldn't sell" can be counted (see Dispute.counts_against).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, Reason


class ObjectionTag(models.Model):
    """A structured objection heard at the measurement (price, timing, competitor…). Data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("objection tag")
        verbose_name_plural = _("objection tags")
        ordering = ["position", "title"]

    def __str__(self):
        return self.title


class Dispute(models.Model):
    """A rep's "not a target lead" on a hand-off, and the arbiters' decision on it.

    `qualifier` and `sales_rep` are snapshots taken when the dispute is raised (the lead's fields
    change afterwards). Once decided, `counts_against` / `counts_against_user` say whose record it
    goes on: upheld → the qualifier who handed off, rejected → the rep.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", _("Awaiting arbitration")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    class UpheldAction(models.TextChoices):
        NONE = "", _("—")
        RETURNED = "returned", _("Returned to qualification")
        DISQUALIFIED = "disqualified", _("Disqualified")

    class CountsAgainst(models.TextChoices):
        NONE = "", _("—")
        QUALIFIER = "qualifier", _("Qualifier")
        SALES_REP = "sales_rep", _("Sales rep")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="disputes")
    reason = models.ForeignKey(
        Reason,
        verbose_name=_("reason"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Reason.Kind.DISPUTE},
    )
    comment = models.TextField(_("comment"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    qualifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("qualifier who handed off"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes_as_qualifier",
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.PROTECT,
        related_name="disputes_as_rep",
    )
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("why"), blank=True)
    upheld_action = models.CharField(
        _("upheld: the lead"), max_length=20, choices=UpheldAction.choices, default=UpheldAction.NONE, blank=True
    )
    counts_against = models.CharField(
        _("counts against"), max_length=20, choices=CountsAgainst.choices, default=CountsAgainst.NONE, blank=True
    )
    counts_against_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counts against (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes_counted_against",
    )

    class Meta:
        verbose_name = _("hand-off dispute")
        verbose_name_plural = _("hand-off disputes")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(decision="pending"), name="one_pending_dispute_per_lead"
            ),
            models.CheckConstraint(
                condition=Q(decision="pending", decided_at__isnull=True)
                | (~Q(decision="pending") & Q(decided_at__isnull=False)),
                name="dispute_decided_at_matches_decision",
            ),
        ]
        indexes = [models.Index(fields=["counts_against_user", "decision"], name="dispute_counted_idx")]

    def __str__(self):
        return f"{self.lead} · {self.reason} · {self.get_decision_display()}"

    @property
    def is_pending(self):
        return self.decision == self.Decision.PENDING


class Visit(models.Model):
    """A measurement visit of a rep at the client's. Rescheduling closes this one and books a new one."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        NO_SHOW = "no_show", _("No-show")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")

    # statuses that occupy the rep's time in the calendar
    BUSY_STATUSES = (Status.SCHEDULED, Status.DONE)

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="visits")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.PROTECT, related_name="visits"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    address = models.CharField(_("address"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rescheduled_from = models.OneToOneField(
        "self",
        verbose_name=_("rescheduled from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rescheduled_to",
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # reminders (idempotent: set once sent)
    rep_reminded_at = models.DateTimeField(_("rep reminded (evening before)"), null=True, blank=True, editable=False)
    client_details_sent_at = models.DateTimeField(
        _("client details sent (on the day)"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("booked"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # One visit as the rep's phone calendar sees it (sales.feeds): a reschedule books a new row of the
    # same series with the next sequence, so the event keeps its UID and moves instead of doubling.
    series = models.UUIDField(_("series"), default=uuid.uuid4, editable=False, db_index=True)
    sequence = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    # "Running late" from the rep's day (sales.services.visit_report_late): the delay last reported, when.
    late_minutes = models.PositiveSmallIntegerField(_("running late, minutes"), null=True, blank=True, editable=False)
    late_reported_at = models.DateTimeField(_("lateness reported"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("measurement visit")
        verbose_name_plural = _("measurement visits")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="visit_ends_after_start"),
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="scheduled"), name="one_scheduled_visit_per_lead"
            ),
        ]
        indexes = [
            models.Index(fields=["rep", "starts_at"], name="visit_rep_time_idx"),
            models.Index(fields=["starts_at"], condition=Q(status="scheduled"), name="visit_scheduled_idx"),
        ]

    def __str__(self):
        return f"{self.lead} · {timezone.localtime(self.starts_at):%d.%m %H:%M}"

    def continued_by(self, **fields):
        """The unsaved row that moves this visit (a reschedule, a move to another rep): same series."""
        return Visit(series=self.series, sequence=self.sequence + 1, rescheduled_from=self, **fields)

    @property
    def is_scheduled(self):
        return self.status == self.Status.SCHEDULED


class Measurement(models.Model):
    """What the rep found at the measurement: the quote is on the lead; objections and next step here."""

    lead = models.OneToOneField(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="measurement")
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quote_amount = models.DecimalField(_("quote, ₽"), max_digits=12, decimal_places=2)
    objections = models.ManyToManyField(ObjectionTag, verbose_name=_("objections"), blank=True, related_name="+")
    objection_note = models.TextField(_("objections, note"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step by"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # the kit version the room was measured with, and its values by field code (sales.models.kit)
    kit = models.ForeignKey(
        "sales.MeasurementKit",
        verbose_name=_("measurement form"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    values = models.JSONField(_("measured values"), default=dict, blank=True)
    # the form's one-time key: a double submit (a retry on a flaky connection) records one measurement
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self):
        return f"{self.lead} · {self.quote_amount} ₽"


class DealCorrection(models.Model):
    """Append-only: a closed deal's amount or date corrected, or the deal put back in work, by the sales
    manager or director, with the reason. The lead carries the corrected figures (reports read them);
    this row keeps the old ones. `deal_closed_at` and `sales_rep` are snapshots of the deal as it was, so
    that pay statements can tell a correction of an already paid month (reports.economics)."""

    class Field(models.TextChoices):
        AMOUNT = "amount", _("Amount")
        DATE = "date", _("Contract date")
        REOPENED = "reopened", _("Back in work")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="corrections")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    field = models.CharField(_("what"), max_length=10, choices=Field.choices)
    old_value = models.CharField(_("was"), max_length=40, blank=True)
    new_value = models.CharField(_("now"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    deal_closed_at = models.DateTimeField(_("deal closed"), null=True, blank=True)
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("deal correction")
        verbose_name_plural = _("deal corrections")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.lead} · {self.get_field_display()}: {self.old_value} → {self.new_value}"
