"""The versioned criteria checklist, its questions and the answers given."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, Reason, Team


class Checklist(models.Model):
    """A version of the qualification criteria. Answers keep the version they were asked in."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="checklists",
        limit_choices_to={"kind": "qualification"},
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # the trail of a version made from another (a criteria rule promoted on the criteria report)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("criteria checklist")
        verbose_name_plural = _("criteria checklists")
        ordering = ["team", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["team", "version"], name="unique_checklist_version"),
            models.UniqueConstraint(fields=["team"], condition=Q(is_active=True), name="one_active_checklist_per_team"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class Criterion(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("One of the options")
        NUMBER = "number", _("Number")
        YES_NO = "yes_no", _("Yes / no")

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(_("code"), max_length=40)
    question = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("hint for the qualifier"), max_length=300, blank=True)
    kind = models.CharField(_("answer kind"), max_length=10, choices=Kind.choices)
    # CHOICE: [{"value": "custom", "label": "…", "passes": true}, …]
    options = models.JSONField(_("options"), default=list, blank=True)
    # NUMBER: passes when min_value <= answer <= max_value (either bound may be empty)
    min_value = models.DecimalField(_("pass from"), max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("pass up to"), max_digits=14, decimal_places=2, null=True, blank=True)
    # NUMBER: an answer outside valid_min..valid_max is a typing error, refused (never stored, never passes)
    valid_min = models.DecimalField(
        _("accepted from"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("A smaller answer is refused as a typing error (e.g. a budget below 0)."),
    )
    valid_max = models.DecimalField(
        _("accepted up to"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("A larger answer is refused as a typing error (e.g. a budget over 100 000 000 ₽)."),
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    # YES_NO: passes when the answer equals this
    pass_if_yes = models.BooleanField(_("passes on “yes”"), default=True)
    required = models.BooleanField(_("required to qualify"), default=True)
    disqualify_reason = models.ForeignKey(
        Reason,
        verbose_name=_("disqualification reason when it fails"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Reason.Kind.DISQUALIFY},
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["checklist", "position"]
        constraints = [models.UniqueConstraint(fields=["checklist", "code"], name="unique_criterion_code")]

    def __str__(self):
        return self.question

    # Whatever a criterion says, a number past this is a typing error (it would not fit the columns either).
    HARD_LIMIT = Decimal("999999999999")

    def range_error(self, number: Decimal):
        """Why `number` is not a sane answer to this NUMBER criterion (a message), or None when it is."""
        low = self.valid_min if self.valid_min is not None else -self.HARD_LIMIT
        high = self.valid_max if self.valid_max is not None else self.HARD_LIMIT
        if low <= number <= high:
            return None
        unit = f"\u00a0{self.unit}" if self.unit else ""
        return _("Enter a number from %(low)s to %(high)s%(unit)s.") % {
            "low": _grouped(low),
            "high": _grouped(high),
            "unit": unit,
        }

    def clean(self):
        super().clean()
        if self.valid_min is not None and self.valid_max is not None and self.valid_min > self.valid_max:
            raise ValidationError({"valid_max": _("The upper bound is below the lower one.")})


def _grouped(number):
    """100 000 000: thousands split by a narrow no-break space, no trailing zero kopecks."""
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f")


class LeadAnswer(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="answers")
    checklist_version = models.PositiveIntegerField()
    value = models.JSONField()
    passed = models.BooleanField()
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("criterion answer")
        verbose_name_plural = _("criterion answers")
        constraints = [models.UniqueConstraint(fields=["lead", "criterion"], name="one_answer_per_criterion")]

    def __str__(self):
        return f"{self.criterion.code}={self.value}"
