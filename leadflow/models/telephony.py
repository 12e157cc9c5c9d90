"""A PBX account: the provider, where its API lives and the credentials both sides sign with.

Neither provider lets us keep a hash: Mango's key is sent in every command and its salt signs them,
Zadarma's key goes in every Authorization header and its secret signs them. The secret is stored as
entered and never shown back in full (docs/decisions.md, "PBX secrets")."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PbxAccount(models.Model):
    class Provider(models.TextChoices):
        MANGO = "mango", _("Mango Office")
        ZADARMA = "zadarma", _("Zadarma")

    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=120)
    base_url = models.URLField(
        _("API address"), blank=True, help_text=_("Empty: the provider's public API (a test stand may differ).")
    )
    api_key = models.CharField(_("API key"), max_length=200, help_text=_("Mango: vpbx_api_key; Zadarma: key."))
    api_secret = models.CharField(
        _("API secret"), max_length=200, help_text=_("Mango: the salt (vpbx_api_salt); Zadarma: secret.")
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Moscow",
        help_text=_("The PBX's clock for times it sends without an offset (Zadarma's call_start)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("PBX account")
        verbose_name_plural = _("PBX accounts")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_provider_display()})"

    @staticmethod
    def masked(value):
        return f"••••{value[-4:]}" if len(value) > 8 else "••••"
