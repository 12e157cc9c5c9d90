"""Writes of a business preset on the deal board: the visit form (a new kit version) and objection tags.

Like the checklist: a changed form is a new version of the default kit (old visits keep the version
they were recorded with); tags leave the list by being deactivated, never deleted.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from leadflow.services.setup import coded_list_sync

from ..models import MeasurementField, MeasurementKit, ObjectionTag

FIELD_FIELDS = (
    "code",
    "label",
    "help_text",
    "kind",
    "unit",
    "min_value",
    "max_value",
    "decimal_places",
    "options",
    "required",
)
_DEFAULTS = {"help_text": "", "unit": "", "decimal_places": 0, "options": [], "required": False}


def _decimal(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _row(source, get):
    row = {name: get(source, name) for name in FIELD_FIELDS}
    row["min_value"], row["max_value"] = _decimal(row["min_value"]), _decimal(row["max_value"])
    return row


@transaction.atomic
def kit_publish(*, title: str, fields: list[dict]) -> tuple[MeasurementKit, list[str]]:
    """Make `fields` the active default visit form (every sales team without its own)."""
    wanted = [_row(item, lambda item, name: item.get(name, _DEFAULTS.get(name))) for item in fields]
    kits = MeasurementKit.objects.select_for_update().filter(team__isnull=True).order_by("version")  # no join
    active = kits.filter(is_active=True).first()
    if active is not None:
        current = [_row(field, getattr) for field in active.fields.order_by("position", "pk")]
        if (active.title, current) == (title, wanted):
            return active, []
    top = kits.aggregate(top=Max("version"))["top"] or 0
    kits.filter(is_active=True).update(is_active=False)
    kit = MeasurementKit.objects.create(team=None, version=top + 1, title=title, is_active=True)
    MeasurementField.objects.bulk_create(
        MeasurementField(kit=kit, position=position, **row) for position, row in enumerate(wanted)
    )
    return kit, [_("visit form “%(title)s” v%(version)s") % {"title": title, "version": top + 1}]


@transaction.atomic
def objection_tags_sync(*, items: list[dict]) -> list[str]:
    """The active objection tags are exactly `items` ([{code, title}], in order)."""
    return coded_list_sync(
        ObjectionTag.objects.all(),
        items,
        create=ObjectionTag.objects.create,
        messages={
            "added": _("objection added: %(title)s"),
            "updated": _("objection updated: %(title)s"),
            "deactivated": _("objection deactivated: %(title)s"),
        },
    )
