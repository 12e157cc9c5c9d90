"""API credentials (intake for one source, telephony) and the security log.

A key is shown once, when it is issued, and stored only as its SHA-256: a stolen database or a
view-only admin page gives nobody a working key. A fast hash is enough for 240-bit random keys (no
dictionary to guess from); lookups stay one indexed equality.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..ratelimit import parse_rate
from .catalog import Source

KEY_PREFIX = "lf_"
PREFIX_LENGTH = 10  # "lf_" + 7 characters: enough to tell keys apart in a list, useless to an attacker


def api_key_new():
    return KEY_PREFIX + secrets.token_urlsafe(30)


def api_key_hash(key):
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    """An API credential. Its kind decides the one API it opens: lead intake for one source, or the
    telephony webhook (which stops SLA clocks, so a marketplace's intake key must never reach it)."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Lead intake")
        TELEPHONY = "telephony", _("Telephony")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INTAKE)
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
    prefix = models.CharField(_("key starts with"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Revoke a token instead of deleting it."))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("Empty: never expires."))
    rate_limit = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        help_text=_("Requests per period, e.g. 600/m or 20/s. Empty: the default (API_TOKEN_RATE)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rotated_from = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="intake") & Q(source__isnull=False)) | (Q(kind="telephony") & Q(source__isnull=True)),
                name="api_token_intake_has_source_telephony_none",
            )
        ]

    def __str__(self):
        owner = self.source if self.source_id else self.get_kind_display()
        return f"{owner} · {self.name or self.prefix + '…'}"

    def clean(self):
        if self.kind == self.Kind.INTAKE and self.source_id is None:
            raise ValidationError({"source": _("An intake token needs the source whose leads it delivers.")})
        if self.kind == self.Kind.TELEPHONY and self.source_id is not None:
            raise ValidationError({"source": _("A telephony token belongs to no lead source: leave it empty.")})
        if self.rate_limit:
            try:
                parse_rate(self.rate_limit)
            except ValueError:
                raise ValidationError({"rate_limit": _("Write the limit as requests/period, e.g. 600/m.")}) from None

    def set_new_key(self):
        """Give the token a fresh key and return it: the only moment the key exists in clear."""
        key = api_key_new()
        self.prefix, self.key_hash = key[:PREFIX_LENGTH], api_key_hash(key)
        self.key = key  # in memory only, for the caller to show once
        return key

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class SecurityEvent(models.Model):
    """Append-only log of what a security review asks about: credentials issued, revoked, rotated, and
    refused keys used. Visible to the director in the admin."""

    class Kind(models.TextChoices):
        TOKEN_ISSUED = "token_issued", _("Token issued")
        TOKEN_REVOKED = "token_revoked", _("Token revoked")
        TOKEN_ROTATED = "token_rotated", _("Token rotated")
        REVOKED_TOKEN_USED = "revoked_token_used", _("Revoked token used")
        EXPIRED_TOKEN_USED = "expired_token_used", _("Expired token used")
        UNKNOWN_TOKEN_USED = "unknown_token_used", _("Unknown token used")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor sign-in turned off")
        TWO_FACTOR_POLICY_CHANGED = "two_factor_policy_changed", _("Two-factor requirement changed")
        PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data exported")
        PERSONAL_DATA_ERASED = "personal_data_erased", _("Personal data erased")

    kind = models.CharField(_("event"), max_length=40, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.ForeignKey(
        ApiToken, verbose_name=_("API token"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"
