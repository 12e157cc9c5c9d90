"""The installation's vertical (kitchens, clinic, real estate, B2B…): what the visit is called and how
long it lasts, and the words of the interface that follow it. One row; leadflow.vertical reads it."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Vertical(models.Model):
    code = models.SlugField(_("preset"), max_length=40, default="kitchens")
    title = models.CharField(_("business"), max_length=120, default="Кухни на заказ")
    visit_name = models.CharField(
        _("name of the visit"), max_length=60, default="Замер", help_text=_("How the interface names the visit.")
    )
    visit_minutes = models.PositiveIntegerField(
        _("visit length, minutes"), default=90, validators=[MinValueValidator(5)]
    )
    # {"замер": "приём", "замера": "приёма", …}: forms of the visit's word replaced in the Russian interface
    words = models.JSONField(_("interface words"), default=dict, blank=True)
    asks_product_interest = models.BooleanField(
        _("asks made to measure or modular"),
        default=True,
        help_text=_("The kitchen's question on the public form; other businesses leave it out."),
    )
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)

    class Meta:
        verbose_name = _("business profile")
        verbose_name_plural = _("business profile")

    def __str__(self):
        return self.title
