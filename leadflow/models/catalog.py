"""Reference data as rows: lead sources and the reason lists."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    # 152-ФЗ: on what grounds the people this source delivers agreed to be called (API and import leads
    # carry it on their Inquiry); the website form records the person's own tick instead
    consent_basis = models.CharField(
        _("consent basis"),
        max_length=200,
        blank=True,
        help_text=_(
            "How the people from this source agreed to the processing of their personal data, "
            "e.g. “consent on the partner's website”, “contract”."
        ),
    )

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["name"]

    def __str__(self):
        return self.name


def _new_token_key():
    """Referenced by migration 0001 (the old plain-text key's default); keys are made in credentials.py."""
    return secrets.token_hex(20)


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
