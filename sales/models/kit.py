"""The measurement kit: what a rep measures at the client's, as data (like the qualification checklist).

A kit is a versioned form definition: typed fields with units and sane ranges. A measurement keeps the
kit version it was taken with and its values by field code, so a clinic (or a developer) defines its
own kit in the admin without code, and old measurements still read with the fields they were asked in.
"""

import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, Team


class MeasurementKit(models.Model):
    """A version of the measurement form. `team` empty: the kit of every sales team without its own."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("sales team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurement_kits",
        limit_choices_to={"kind": "sales"},
        help_text=_("Empty: used by every sales team that has no kit of its own."),
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("measurement form")
        verbose_name_plural = _("measurement forms")
        ordering = ["team", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["team", "version"], name="unique_kit_version_per_team"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(team__isnull=True), name="unique_default_kit_version"
            ),
            models.UniqueConstraint(fields=["team"], condition=Q(is_active=True), name="one_active_kit_per_team"),
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True, team__isnull=True), name="one_active_default_kit"
            ),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class MeasurementField(models.Model):
    """One thing measured: a number with its unit and sane range, a choice, yes/no, or a note."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("One of the options")
        YES_NO = "yes_no", _("Yes / no")
        TEXT = "text", _("Text")

    kit = models.ForeignKey(MeasurementKit, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.CharField(_("hint for the rep"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    # NUMBER: a value outside min..max is a typing error (refused with the range in the message)
    min_value = models.DecimalField(_("accepted from"), max_digits=12, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("accepted up to"), max_digits=12, decimal_places=2, null=True, blank=True)
    decimal_places = models.PositiveSmallIntegerField(
        _("decimal places"), default=0, help_text=_("0: whole numbers only (millimetres, pieces).")
    )
    # CHOICE: [{"value": "straight", "label": "Прямая"}, …]
    options = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("measurement field")
        verbose_name_plural = _("measurement fields")
        ordering = ["kit", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["kit", "code"], name="unique_kit_field_code")]

    def __str__(self):
        return self.label

    def clean(self):
        super().clean()
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValidationError({"max_value": _("The upper bound is below the lower one.")})
        if self.kind == self.Kind.CHOICE and not self.options:
            raise ValidationError({"options": _("A choice needs its options.")})

    def choices(self):
        return [(option["value"], option["label"]) for option in self.options or []]

    def display(self, value):
        """How a stored value reads on the deal card and in arbitration."""
        if value in (None, ""):
            return "—"
        if self.kind == self.Kind.CHOICE:
            return dict(self.choices()).get(value, value)
        if self.kind == self.Kind.YES_NO:
            return gettext("yes") if value else gettext("no")
        if self.kind == self.Kind.NUMBER:
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                return str(value)
            text = f"{number:,.{self.decimal_places}f}".replace(",", "\u202f").replace(".", ",")
            return f"{text}\u00a0{self.unit}" if self.unit else text
        return str(value)


def photo_path(instance, filename):
    """Unguessable names under the deal's folder: measurements/<lead>/<uuid>.jpg."""
    return f"measurements/{instance.lead_id}/{uuid.uuid4().hex}.jpg"


def thumbnail_path(instance, filename):
    return f"measurements/{instance.lead_id}/thumbs/{uuid.uuid4().hex}.jpg"


class MeasurementPhoto(models.Model):
    """A photo or a sketch taken at the measurement, resized and stripped of metadata on upload
    (sales.photos). Stored through Django's storage API and served only by sales:photo, which asks
    leadflow.access who may see the deal: never a public URL."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="measurement_photos")
    measurement = models.ForeignKey(
        "sales.Measurement",
        verbose_name=_("measurement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    image = models.FileField(_("image"), upload_to=photo_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=thumbnail_path, max_length=200)
    width = models.PositiveIntegerField(_("width, px"))
    height = models.PositiveIntegerField(_("height, px"))
    size = models.PositiveIntegerField(_("size, bytes"))
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("measurement photo")
        verbose_name_plural = _("measurement photos")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return f"{self.lead} · {self.original_name or self.pk}"
