"""Reads of the measurement kit: which form a deal is measured with, and how a measurement reads."""

from django.db.models import Prefetch, Q

from .models import MeasurementField, MeasurementKit, MeasurementPhoto


def active_kit(*, team_id=None):
    """The active kit of the sales team, else the active default kit (no team); None when there is none."""
    kits = (
        MeasurementKit.objects.filter(is_active=True)
        .filter(Q(team_id=team_id) | Q(team__isnull=True) if team_id else Q(team__isnull=True))
        .prefetch_related(Prefetch("fields", queryset=MeasurementField.objects.order_by("position", "pk")))
    )
    return sorted(kits, key=lambda kit: kit.team_id is None)[0] if kits else None


def measured_rows(measurement):
    """(label, value as read) of a measurement's kit fields, in the kit's order; empty ones left out."""
    if measurement is None or measurement.kit_id is None:
        return []
    values = measurement.values or {}
    return [
        (field.label, field.display(values[field.code]))
        for field in measurement.kit.fields.all()
        if values.get(field.code) not in (None, "")
    ]


def photos_of(lead_ids):
    """Photos of these deals by lead id, oldest first (thumbnails on the deal card and in arbitration)."""
    photos = {}
    for photo in MeasurementPhoto.objects.filter(lead_id__in=list(lead_ids)).order_by("uploaded_at", "pk"):
        photos.setdefault(photo.lead_id, []).append(photo)
    return photos
