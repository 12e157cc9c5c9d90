"""Calls: attempts (manual or from the PBX), their recordings, the PBX's own call records."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead


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
