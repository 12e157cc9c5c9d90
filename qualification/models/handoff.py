"""Hand-off: the summary the rep reads and the routes that pick the sales team."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Language, Lead, ProductInterest, Team


class HandoffSummary(models.Model):
    """What the rep gets with a hand-off: a snapshot of the answers plus the qualifier's note.

    One row per hand-off (a lead returned after an upheld dispute and handed off again gets a second).
    The snapshot is frozen text, so later checklist edits never change what the rep was told.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoff_summaries")
    sales_rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    checklist_version = models.PositiveIntegerField(_("checklist version"), null=True, blank=True)
    # [{"code": "budget", "question": "…", "answer": "400 000 ₽", "passed": true}, …]
    answers = models.JSONField(_("answers"), default=list, blank=True)
    budget = models.CharField(_("budget"), max_length=100, blank=True)
    timeline = models.CharField(_("timeline"), max_length=100, blank=True)
    best_time_to_visit = models.CharField(_("best time to visit"), max_length=200, blank=True)
    note = models.TextField(_("qualifier's note"), blank=True)

    class Meta:
        verbose_name = _("hand-off summary")
        verbose_name_plural = _("hand-off summaries")
        ordering = ["-created_at"]

    def __str__(self):
        return f"#{self.lead_id} → {self.sales_rep}"


class HandoffRoute(models.Model):
    """A hand-off rule of a qualification team feeding several sales teams (Moscow, Saint Petersburg):
    the first active rule (by position) whose every filled condition matches the lead picks the sales
    team; no rule matching: the team's own "hands off to sales team"."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("qualification team"),
        on_delete=models.CASCADE,
        related_name="handoff_routes",
        limit_choices_to={"kind": "qualification"},
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    region = models.CharField(
        _("region or city"),
        max_length=120,
        blank=True,
        help_text=_("The lead's region or city, exactly (letter case ignored). Empty: any."),
    )
    product_interest = models.CharField(
        _("product interest"), max_length=20, choices=ProductInterest.choices, blank=True, help_text=_("Empty: any.")
    )
    source = models.ForeignKey(
        "leadflow.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: any."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text=_("The language the client wants to be served in. Empty: any."),
    )
    sales_team = models.ForeignKey(
        Team,
        verbose_name=_("hands off to sales team"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "sales"},
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hand-off route")
        verbose_name_plural = _("hand-off routes")
        ordering = ["team", "position", "pk"]

    def __str__(self):
        return f"{self.team} → {self.sales_team}"

    def matches(self, lead) -> bool:
        if self.region and self.region.casefold() not in {lead.region.casefold(), lead.city.casefold()}:
            return False
        if self.product_interest and self.product_interest != lead.product_interest:
            return False
        if self.language and self.language != lead.language:
            return False
        return not (self.source_id and self.source_id != lead.source_id)
