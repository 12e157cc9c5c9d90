"""Call scripts (versioned, with steps) and call quality reviews."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Team

from .calls import CallAttempt


class CallScript(models.Model):
    class Stage(models.TextChoices):
        FIRST_CALL = "first_call", _("First call")
        CALLBACK = "callback", _("Callback")
        HANDOFF = "handoff", _("Hand-off")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="call_scripts")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.FIRST_CALL)
    # each publication is a new row (services.call_script_publish): a review keeps the version it was made against
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("script"))
    is_active = models.BooleanField(_("active"), default=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        ordering = ["team", "stage", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["team", "stage", "version"], name="unique_call_script_version"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class ScriptStep(models.Model):
    """One thing the qualifier must cover on the call (greeting, custom vs modular, need, budget…)."""

    script = models.ForeignKey(CallScript, on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("step"), max_length=200)
    hint = models.CharField(_("what to listen for"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("script step")
        verbose_name_plural = _("script steps")
        ordering = ["script", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["script", "code"], name="unique_script_step_code")]

    def __str__(self):
        return self.title


class ReviewPolicy(models.Model):
    """How many calls of each qualifier the team lead reviews a week (a team without a row: the default)."""

    DEFAULT_CALLS_PER_WEEK = 3

    team = models.OneToOneField(
        Team,
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="review_policy",
        limit_choices_to={"kind": "qualification"},
    )
    calls_per_qualifier = models.PositiveSmallIntegerField(
        _("calls reviewed per qualifier a week"), default=DEFAULT_CALLS_PER_WEEK
    )

    class Meta:
        verbose_name = _("call review policy")
        verbose_name_plural = _("call review policies")

    def __str__(self):
        return f"{self.team}: {self.calls_per_qualifier}"


class CallReview(models.Model):
    """A call drawn for review (at random, or because a dispute on its hand-off was upheld), and the team
    lead's verdict on it against the script version pinned when it was drawn."""

    class Reason(models.TextChoices):
        SAMPLE = "sample", _("random sample")
        DISPUTE = "dispute", _("upheld dispute")

    attempt = models.OneToOneField(CallAttempt, on_delete=models.PROTECT, related_name="review")
    qualifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("qualifier"), on_delete=models.PROTECT, related_name="call_reviews"
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="call_reviews")
    week = models.DateField(_("week from"))  # the Monday of the week the call was drawn for
    reason = models.CharField(_("why reviewed"), max_length=10, choices=Reason.choices, default=Reason.SAMPLE)
    script = models.ForeignKey(
        CallScript, verbose_name=_("script version"), null=True, on_delete=models.PROTECT, related_name="reviews"
    )
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=4, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("call review")
        verbose_name_plural = _("call reviews")
        ordering = ["-week", "pk"]
        indexes = [
            models.Index(fields=["team", "reviewed_at"], name="call_review_team_idx"),
            models.Index(fields=["qualifier", "week"], name="call_review_qualifier_idx"),
        ]

    def __str__(self):
        return f"{self.attempt_id} {self.week:%d.%m.%Y}"

    @property
    def is_done(self):
        return self.reviewed_at is not None

    @property
    def score_percent(self):
        """The score as a whole percent, rounded half up (0.625 → 63), None before the review."""
        if self.score is None:
            return None
        return int((self.score * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class ReviewMark(models.Model):
    """How one script step was covered on the reviewed call."""

    class Mark(models.TextChoices):
        DONE = "done", _("done")
        PARTLY = "partly", _("partly")
        MISSED = "missed", _("missed")

    POINTS = {Mark.DONE: Decimal(1), Mark.PARTLY: Decimal("0.5"), Mark.MISSED: Decimal(0)}

    review = models.ForeignKey(CallReview, on_delete=models.CASCADE, related_name="marks")
    step = models.ForeignKey(ScriptStep, on_delete=models.PROTECT, related_name="marks")
    mark = models.CharField(_("mark"), max_length=10, choices=Mark.choices)

    class Meta:
        verbose_name = _("review mark")
        verbose_name_plural = _("review marks")
        constraints = [models.UniqueConstraint(fields=["review", "step"], name="unique_review_step")]

    def __str__(self):
        return f"{self.step_id}={self.mark}"
