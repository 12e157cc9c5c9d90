"""Reference data as rows: lead sources, their intake tokens, and the reason lists."""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["name"]

    def __str__(self):
        return self.name


def _new_token_key():
    return secrets.token_hex(20)


class IntakeToken(models.Model):
    """An API credential. Its kind decides the one API it opens: lead intake for one source, or the
    telephony webhook (which stops SLA clocks, so a marketplace's intake key must never reach it)."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Lead intake")
        TELEPHONY = "telephony", _("Telephony")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INTAKE)
    key = models.CharField(_("key"), max_length=64, unique=True, default=_new_token_key)
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tokens",
        help_text=_("Lead intake only: the source whose leads this token delivers."),
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="intake") & Q(source__isnull=False)) | (Q(kind="telephony") & Q(source__isnull=True)),
                name="intake_token_has_source_telephony_none",
            )
        ]

    def __str__(self):
        owner = self.source if self.source_id else self.get_kind_display()
        return f"{owner} · {self.name or self.key[:6] + '…'}"

    def clean(self):
        if self.kind == self.Kind.INTAKE and self.source_id is None:
            raise ValidationError({"source": _("An intake token needs the source whose leads it delivers.")})
        if self.kind == self.Kind.TELEPHONY and self.source_id is not None:
            raise ValidationError({"source": _("A telephony token belongs to no lead source: leave it empty.")})


class Reason(models.Model):
    class Kind(models.TextChoices):
        DISQUALIFY = "disqualify", _("Disqualification")
        LOSE = "lose", _("Lost deal")
        DISPUTE = "dispute", _("Hand-off dispute")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("reason")
        verbose_name_plural = _("reasons")
        ordering = ["kind", "position", "title"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="unique_reason_code_per_kind")]

    def __str__(self):
        return self.title
