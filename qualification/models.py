"""The qualifier's workspace data: call attempts, the versioned criteria checklist, answers, scripts."""

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Language, Lead, ProductInterest, Reason, Team


class CallAttempt(models.Model):
    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        CALLBACK = "callback", _("Callback requested")

    FAILED_OUTCOMES = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.WRONG_NUMBER)

    class Channel(models.TextChoices):
        MANUAL = "manual", _("by hand")
        WEBHOOK = "webhook", _("telephony webhook")
        PBX = "pbx", _("PBX")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="call_attempts")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who called"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_attempts",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    called_at = models.DateTimeField(_("called at"), default=timezone.now)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    duration_seconds = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    # telephony webhook events are idempotent by their event id
    external_event_id = models.CharField(max_length=120, blank=True)
    reported_by = models.ForeignKey(
        "leadflow.ApiToken",
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The telephony credential that delivered this call; empty when a person logged it."),
    )
    channel = models.CharField(_("logged"), max_length=10, choices=Channel.choices, default=Channel.MANUAL)
    # the provider's recording id / link (§3 fetches the audio by it through the PBX adapter)
    recording_ref = models.CharField(_("recording id"), max_length=200, blank=True)
    recording_url = models.URLField(_("recording link"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        ordering = ["-called_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_event_id"], condition=~Q(external_event_id=""), name="unique_call_event"
            )
        ]

    def __str__(self):
        return f"{self.lead_id} {self.get_outcome_display()} {self.called_at:%d.%m %H:%M}"

    @property
    def failed(self):
        return self.outcome in self.FAILED_OUTCOMES


def recording_path(recording, filename):
    """recordings/<year>/<month>/<attempt>-<random>.<ext>: never guessed, never linked to."""
    return (
        f"recordings/{timezone.now():%Y/%m}/{recording.attempt_id}-{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"
    )


class CallRecording(models.Model):
    """The audio of a call, fetched from the PBX and kept in Django's storage (the photos' store) for
    RECORDING_RETENTION_DAYS; served only by qualification:recording to whoever may see the lead."""

    class Removed(models.TextChoices):
        RETENTION = "retention", _("recording deleted after the retention period")
        ERASED = "erased", _("recording deleted at the person's request")

    attempt = models.OneToOneField(CallAttempt, on_delete=models.CASCADE, related_name="recording")
    file = models.FileField(upload_to=recording_path, max_length=300, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=10, choices=Removed.choices, blank=True)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")
        indexes = [
            # the retention sweep reads the kept ones, oldest first
            models.Index(fields=["fetched_at"], condition=Q(removed_at__isnull=True), name="call_recording_kept_idx"),
        ]

    def __str__(self):
        return f"{self.attempt_id} {self.content_type} {self.size_bytes} B"

    @property
    def playable(self):
        return bool(self.file) and self.removed_at is None


class PbxCall(models.Model):
    """One call as the PBX tells it, event by event (ringing → talking → ended, in any order of
    arrival). It exists from our click-to-call command or from the first event of a call; its ending
    makes the one call attempt (`attempt`)."""

    class State(models.TextChoices):
        PLACED = "placed", _("Calling your phone")
        RINGING = "ringing", _("Ringing")
        TALKING = "talking", _("Talking")
        ENDED = "ended", _("Ended")

    STATE_ORDER = {State.PLACED: 0, State.RINGING: 1, State.TALKING: 2, State.ENDED: 3}

    account = models.ForeignKey("leadflow.PbxAccount", on_delete=models.PROTECT, related_name="calls")
    call_id = models.CharField(_("PBX call id"), max_length=120, blank=True)
    command_id = models.CharField(max_length=64, blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="pbx_calls")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="pbx_calls"
    )
    direction = models.CharField(max_length=10, choices=CallAttempt.Direction.choices, blank=True)
    client_phone = models.CharField(max_length=32, blank=True)
    extension = models.CharField(max_length=20, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLACED)
    placed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    answered = models.BooleanField(null=True)
    talk_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_ref = models.CharField(max_length=200, blank=True)
    attempt = models.OneToOneField(
        CallAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="pbx_call"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("PBX call")
        verbose_name_plural = _("PBX calls")
        constraints = [
            models.UniqueConstraint(fields=["account", "call_id"], condition=~Q(call_id=""), name="unique_pbx_call"),
            models.UniqueConstraint(
                fields=["account", "command_id"], condition=~Q(command_id=""), name="unique_pbx_command"
            ),
        ]
        indexes = [
            models.Index(fields=["lead", "-placed_at"], name="pbx_call_lead_idx"),
            # a click-to-call the PBX has not named yet (Zadarma): matched by extension and number
            models.Index(
                fields=["account", "extension", "client_phone"], condition=Q(call_id=""), name="pbx_call_unnamed_idx"
            ),
        ]

    def __str__(self):
        return f"{self.account_id}:{self.call_id or self.command_id} {self.state}"

    # a call whose PBX went silent (a lost notification) stops being shown as live after this long
    LIVE_FOR = timedelta(minutes=15)

    @property
    def is_live(self):
        return self.state != self.State.ENDED and self.updated_at > timezone.now() - self.LIVE_FOR


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
