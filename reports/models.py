"""Bonus plans as data: what a role (or one team, or one person) is paid each month.

A qualifier earns `bonus_per_won_deal` for every won deal of the leads they qualified (also when
the team lead pressed the hand-off), but only once the hand-off was accepted, and it is clawed back
when a dispute on that lead is upheld against them.
A sales rep earns `revenue_share_percent` of the revenue of the deals they won. Everyone gets
`fixed_monthly`. The most specific plan in force on the first day of the month applies
(person > team > role), see reports.economics.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow import roles
from leadflow.models import ProductInterest, Source, Team

ROLE_CHOICES = [(name, label) for name, label in roles.ROLE_LABELS.items()]


class BonusPlan(models.Model):
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bonus_plans",
        help_text=_("Empty: every team of this role."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bonus_plans",
        help_text=_("Only for a personal exception to the team plan."),
    )
    fixed_monthly = models.DecimalField(
        _("fixed salary per month, ₽"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    bonus_per_won_deal = models.DecimalField(
        _("bonus per won deal of own hand-offs, ₽"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Qualifiers: earned once the hand-off was accepted, clawed back if a dispute is upheld."),
    )
    revenue_share_percent = models.DecimalField(
        _("bonus share of own deal revenue, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Sales reps: percent of the contract amount of the deals they won."),
    )
    valid_from = models.DateField(_("in force from"))
    valid_to = models.DateField(_("in force until"), null=True, blank=True, help_text=_("Empty: open-ended."))

    class Meta:
        verbose_name = _("bonus plan")
        verbose_name_plural = _("bonus plans")
        ordering = ["role", "team", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="bonus_plan_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    def specificity(self):
        """Person beats team beats the role's default."""
        return 2 if self.user_id else 1 if self.team_id else 0

    def in_force_on(self, day):
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


class ExportLog(models.Model):
    """Append-only: who downloaded which report table, with which filters, how many rows, whether
    it held client contacts, and from where. Written by `reports.services.export_record` from
    `reports.exports.export_response`, the one way a table leaves the application; read by the director."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    what = models.CharField(_("what"), max_length=120, help_text=_("Page / table."))
    filters = models.CharField(_("filters"), max_length=500, blank=True)
    fmt = models.CharField(_("format"), max_length=4, choices=Format.choices)
    rows = models.PositiveIntegerField(_("rows"))
    contains_contacts = models.BooleanField(_("client contacts"), default=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("export log")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.what} ({self.fmt}, {self.rows})"


class PayPeriodClose(models.Model):
    """A month whose pay statements were paid out (the director closes it in the admin).

    A closed month's statement stays as it was paid: a later correction of one of its deals
    (sales.DealCorrection) appears as an adjustment line in the first month still open at the time
    of the correction (reports.selectors.economics), never as a silent rewrite of the past.
    """

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    closed_at = models.DateTimeField(_("closed"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("paid month")
        verbose_name_plural = _("paid months")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="pay_period_close_first_of_month",
                violation_error_message=_("Choose the first day of the month."),
            ),
        ]

    def __str__(self):
        return self.month.strftime("%m.%Y")


class PilotTarget(models.Model):
    """A weekly target of one digest figure set by the director (issue 13 §3), in force from/to a date.

    The weekly digest shows it as a third column for the week it is in force on the week's Monday."""

    class Figure(models.TextChoices):
        LEADS = "leads", _("Leads received")
        WARN_SHARE = "warn_share", _("Called within 15 min (share)")
        FIRST_CALL_P50 = "first_call_p50_min", _("Median time to first call, min")
        QUALIFIED = "qualified", _("Qualified (of the leads received)")
        HANDED_OFF_NET = "handed_off_net", _("Handed off (net of upheld disputes)")
        UPHELD = "upheld", _("Disputes upheld")
        MEASURED = "measured", _("Measurements (by visit date)")
        WON = "won", _("Won (by deal date)")
        REVENUE = "revenue", _("Revenue (by deal date)")

    figure = models.CharField(_("figure"), max_length=30, choices=Figure.choices)
    value = models.DecimalField(
        _("weekly target"), max_digits=14, decimal_places=4, help_text=_("A share as a fraction: 0.9 = 90 %.")
    )
    valid_from = models.DateField(_("in force from"))
    valid_to = models.DateField(_("in force until"), null=True, blank=True, help_text=_("Empty: open-ended."))

    class Meta:
        verbose_name = _("pilot target")
        verbose_name_plural = _("pilot targets")
        ordering = ["figure", "-valid_from"]

    def __str__(self):
        return f"{self.get_figure_display()}: {self.value}"


class DailyLeadRollup(models.Model):
    """Counts and sums of the leads received on one local day (settings.TIME_ZONE), per qualification
    team and one dimension (`kind`: the whole team, the credited person, the source, the region).
    Built by reports.rollup from the lead table; never edited by hand. See docs/reports.md "Rollup"."""

    day = models.DateField(_("day"))
    kind = models.CharField(_("dimension"), max_length=16)
    team_id = models.IntegerField(_("qualification team"), null=True)
    value = models.BigIntegerField(_("value"), null=True)  # person / source id
    label = models.CharField(_("label"), max_length=120, blank=True)  # region
    received = models.IntegerField(default=0)
    called = models.IntegerField(default=0)
    qualified = models.IntegerField(default=0)
    handed_off = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    measured = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    within_warn = models.IntegerField(default=0)
    within_breach = models.IntegerField(default=0)
    # not called yet but with a breach deadline: decided once the deadline passes (speed's denominator)
    uncalled_due = models.IntegerField(default=0)
    uncalled_due_max = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("daily lead rollup")
        verbose_name_plural = _("daily lead rollup")
        indexes = [models.Index(fields=["kind", "day"], name="rollup_kind_day_idx")]

    def __str__(self):
        return f"{self.day} {self.kind} {self.team_id} {self.value or self.label}: {self.received}"


class LeadDurationHistogram(models.Model):
    """How many leads received in one local month (per team and dimension, as DailyLeadRollup) took a
    duration in each geometric bucket (reports.rollup.BUCKET_RATIO): medians and p90 within 1 %."""

    month = models.DateField(_("month"))
    # 1: the month; 3 or 12: the quarter or calendar year starting at `month`, summed from its month rows
    months = models.PositiveSmallIntegerField(_("months"), default=1)
    kind = models.CharField(_("dimension"), max_length=16)
    team_id = models.IntegerField(_("qualification team"), null=True)
    value = models.BigIntegerField(_("value"), null=True)
    label = models.CharField(_("label"), max_length=120, blank=True)
    week = models.DateField(_("week"), null=True)  # kind "week": the Monday of the week (its part in `month`)
    metric = models.CharField(_("duration"), max_length=16)
    bucket = models.IntegerField(_("bucket"))
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("duration histogram")
        verbose_name_plural = _("duration histograms")
        indexes = [models.Index(fields=["kind", "month"], name="rollup_hist_kind_month_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.kind} {self.metric} #{self.bucket}: {self.n}"


class RollupState(models.Model):
    """The one row saying which local days the rollup holds: [covered_from, covered_until), and the
    `updated_at` of the leads already rolled up (the incremental task rebuilds the days of the leads
    changed since)."""

    covered_from = models.DateField(_("covered from"))
    covered_until = models.DateField(_("covered until (exclusive)"))
    changes_seen_until = models.DateTimeField(_("changes seen until"))
    built_at = models.DateTimeField(_("built"))

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self):
        return f"{self.covered_from} … {self.covered_until}"


class CriteriaDailyRollup(models.Model):
    """What became of the leads received on one local day (settings.TIME_ZONE), per qualification team,
    by one dimension of the criteria page: `total`, an attribute (`a:source`…) or a question's latest
    answer (`q:<code>`; a choice or yes/no by its JSON `key`, a number by its exact value `num`, banded
    when read). Built by reports.rollup with DailyLeadRollup; never edited by hand (docs/criteria.md)."""

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("qualification team"), null=True)
    dimension = models.CharField(_("dimension"), max_length=48)
    key = models.TextField(_("value"), blank=True)
    num = models.FloatField(_("number"), null=True)
    leads = models.IntegerField(default=0)
    handoffs = models.IntegerField(default=0)
    upheld = models.IntegerField(default=0)
    measured = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    disqualified = models.IntegerField(default=0)
    comeback = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    # for the rule what-if: of the handed-off leads, measured ones, their done visits and the visits' length,
    # and measured ones without a done visit
    handed_measured = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    visit_seconds = models.FloatField(default=0)
    measured_no_visit = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("criteria rollup")
        verbose_name_plural = _("criteria rollup")
        indexes = [models.Index(fields=["dimension", "day"], name="criteria_rollup_dim_day_idx")]

    def __str__(self):
        return f"{self.day} {self.dimension} {self.key or self.num}: {self.leads}"


class CriteriaRule(models.Model):
    """A candidate qualification rule the director tried on past months (reports "Criteria and
    outcomes"), kept when it is promoted into a new checklist version: the trail of who changed the
    criteria, when, from which rule, and what history said it would do."""

    class Action(models.TextChoices):
        DISQUALIFY = "disqualify", _("Disqualify")
        NURTURE = "nurture", _("Nurture instead of hand-off")

    target = models.CharField(_("question or attribute"), max_length=60)
    operator = models.CharField(_("operator"), max_length=4)
    value = models.JSONField(_("value"))
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    months = models.PositiveSmallIntegerField(_("months of history"))
    text = models.CharField(_("rule"), max_length=300)
    effect = models.JSONField(_("effect on history"), default=dict)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("promoted by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("promoted"), default=timezone.now)
    checklist = models.ForeignKey(
        "qualification.Checklist",
        verbose_name=_("checklist version"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("promoted criteria rule")
        verbose_name_plural = _("promoted criteria rules")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text


# --- source economics (issue 18 §1): marketing spend and the margin per product ------------------------

VAT_STANDARD_RATE = Decimal("20")
CENT = Decimal("0.01")


def net_of_vat(amount, *, vat_included, vat_rate):
    """The amount without VAT, to the kopeck (half up): amount / (1 + rate) when it includes VAT."""
    amount = Decimal(amount)
    if not vat_included or not vat_rate:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return (amount / (1 + Decimal(vat_rate) / 100)).quantize(CENT, rounding=ROUND_HALF_UP)


class MarketingSpend(models.Model):
    """What was paid for advertising of one source (and one UTM campaign, or none) on one day or in one
    month, in roubles as entered (the invoice's amount, with or without VAT as it says).

    The natural key (source, campaign, granularity, date) makes a re-import of the same file replace
    the amount instead of adding to it; a month row and the day rows of the same source, campaign and
    month cannot both exist (they would count the same money twice: reports.spend.spend_record).
    `amount_net` is the amount net of VAT, computed on every save; the page counts it."""

    class Granularity(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="spend")
    utm_campaign = models.CharField(
        "utm_campaign",
        max_length=200,
        blank=True,
        help_text=_("Exactly as in the leads' utm_campaign; empty: spend on the source without a campaign tag."),
    )
    granularity = models.CharField(_("spent per"), max_length=5, choices=Granularity.choices, default=Granularity.MONTH)
    day = models.DateField(_("date"), help_text=_("The day; for a month, its first day."))
    amount = models.DecimalField(_("amount, ₽"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    vat_included = models.BooleanField(_("amount includes VAT"), default=True)
    vat_rate = models.DecimalField(
        _("VAT rate, %"),
        max_digits=5,
        decimal_places=2,
        default=VAT_STANDARD_RATE,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    amount_net = models.DecimalField(_("amount net of VAT, ₽"), max_digits=14, decimal_places=2, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    imported_from = models.CharField(_("imported from file"), max_length=200, blank=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("marketing spend")
        verbose_name_plural = _("marketing spend")
        ordering = ["-day", "source", "utm_campaign"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "utm_campaign", "granularity", "day"],
                name="marketing_spend_natural_key",
                violation_error_message=_("Spend for this source, campaign and date is already entered."),
            ),
            models.CheckConstraint(
                condition=Q(granularity="day") | Q(day__day=1),
                name="marketing_spend_month_first_day",
                violation_error_message=_("A month's spend is dated the first day of the month."),
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="marketing_spend_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["day"], name="marketing_spend_day_idx")]

    def __str__(self):
        when = self.day.strftime("%m.%Y") if self.granularity == self.Granularity.MONTH else f"{self.day:%d.%m.%Y}"
        return f"{self.source} {self.utm_campaign or '—'} {when}: {self.amount} ₽"

    def save(self, *args, **kwargs):
        self.utm_campaign = (self.utm_campaign or "").strip()
        self.amount_net = net_of_vat(self.amount, vat_included=self.vat_included, vat_rate=self.vat_rate)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "amount_net", "utm_campaign", "updated_at"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.utm_campaign = (self.utm_campaign or "").strip()
        if self.granularity == self.Granularity.MONTH and self.day:
            self.day = self.day.replace(day=1)
        if self.source_id and self.day:
            overlap = spend_overlapping(self)
            if overlap is not None:
                raise ValidationError(
                    _(
                        "Spend for this source and campaign is already entered for %(when)s: a month and "
                        "its days together would count the same money twice."
                    )
                    % {"when": overlap}
                )


class ProductMargin(models.Model):
    """The gross margin rate of a product type (the lead's product_interest): the share of a won deal's
    amount left after the cost of making and installing it. Source economics multiplies revenue by it."""

    product_interest = models.CharField(_("product"), max_length=20, unique=True, choices=ProductInterest.choices)
    margin_percent = models.DecimalField(
        _("gross margin, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("product margin")
        verbose_name_plural = _("product margins")
        ordering = ["product_interest"]

    def __str__(self):
        return f"{self.get_product_interest_display()}: {self.margin_percent} %"


def spend_overlapping(spend):
    """The entry of the same source and campaign that would count `spend`'s money twice (a day inside
    an entered month, or a month with entered days), as text for the message; None when there is none."""
    rows = MarketingSpend.objects.filter(source_id=spend.source_id, utm_campaign=spend.utm_campaign).exclude(
        pk=spend.pk
    )
    first = spend.day.replace(day=1)
    if spend.granularity == MarketingSpend.Granularity.DAY:
        other = rows.filter(granularity=MarketingSpend.Granularity.MONTH, day=first).first()
        return other.day.strftime("%m.%Y") if other else None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    other = rows.filter(granularity=MarketingSpend.Granularity.DAY, day__gte=first, day__lt=following)
    other = other.order_by("day").first()
    return other.day.strftime("%d.%m.%Y") if other else None


class StaffingSnapshot(models.Model):
    """The staffing planner's expensive part for a big team, computed once (reports.staffing.snapshot):
    for one team, history window and promise, what each weekday × hour needs (the simulation of every
    arrival of the window) and the roster replay's expected shares for the roster of `roster_key`.
    Refreshed by a nightly task; a page that finds none (or another roster) computes it and stores it;
    the window's history is kept with it, so a big team's page does not read the lead table.
    Only teams whose window holds more than reports.staffing.page.LIVE_LEADS leads use it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    first_day = models.DateField(_("history from"))
    days = models.PositiveSmallIntegerField(_("days"))
    target_percent = models.PositiveSmallIntegerField(_("promise, %"))
    sla_minutes = models.PositiveSmallIntegerField(_("within, minutes"))
    leads = models.IntegerField(_("leads of the window"))
    # the window's history as the planner reads it (arrivals per minute, the handle-time histogram, the
    # call shares): a big team's page reads it from here, not from the lead table (at most a day old)
    history = models.JSONField(_("history"))
    needs = models.JSONField(_("needs per weekday and hour"))
    roster_key = models.CharField(_("roster"), max_length=64)
    plan = models.JSONField(_("expected shares with the roster"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("staffing snapshot")
        verbose_name_plural = _("staffing snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "first_day", "days", "target_percent", "sla_minutes"], name="staffing_snapshot_unique"
            )
        ]

    def __str__(self):
        return f"{self.team_id} {self.first_day} {self.target_percent}%/{self.sla_minutes}"
