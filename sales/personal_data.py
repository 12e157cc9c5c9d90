"""What the sales app holds about a lead's person, for leadflow.privacy (registered in apps.py).

A visit's address and notes, the measurement's notes (its free-text kit answers too) and the dispute
texts are blanked, and the photos of the client's home are deleted from the store; times, statuses,
amounts, objection tags and the room's dimensions (the reports count them; they name nobody) stay.
"""

from django.db import transaction

from .models import Dispute, Measurement, MeasurementField, MeasurementPhoto, Visit


def export_visits(lead_ids):
    return (
        Visit.objects.filter(lead_id__in=lead_ids)
        .order_by("starts_at", "pk")
        .values("lead", "starts_at", "ends_at", "status", "address", "note")
    )


def anonymise_visits(lead_ids):
    Visit.objects.filter(lead_id__in=lead_ids).update(address="", note="")


def export_measurements(lead_ids):
    return (
        Measurement.objects.filter(lead_id__in=lead_ids)
        .order_by("recorded_at", "pk")
        .values("lead", "recorded_at", "quote_amount", "objection_note", "next_step", "next_step_due")
    )


def anonymise_measurements(lead_ids):
    Measurement.objects.filter(lead_id__in=lead_ids).update(objection_note="", next_step="")
    text_codes = {}
    for kit_id, code in MeasurementField.objects.filter(kind=MeasurementField.Kind.TEXT).values_list("kit", "code"):
        text_codes.setdefault(kit_id, set()).add(code)
    for measurement in Measurement.objects.filter(lead_id__in=lead_ids, kit_id__in=list(text_codes)):
        values = {
            code: value for code, value in measurement.values.items() if code not in text_codes[measurement.kit_id]
        }
        if values != measurement.values:
            Measurement.objects.filter(pk=measurement.pk).update(values=values)


def export_photos(lead_ids):
    """What was kept of each photo (the pictures themselves stay in the store until erased)."""
    return (
        MeasurementPhoto.objects.filter(lead_id__in=lead_ids)
        .order_by("uploaded_at", "pk")
        .values("lead", "uploaded_at", "original_name", "width", "height")
    )


def anonymise_photos(lead_ids):
    """The rows go now; the files once the erasure is committed (a rolled-back run keeps both)."""
    photos = MeasurementPhoto.objects.filter(lead_id__in=lead_ids)
    files = [(photo.image.storage, name) for photo in photos for name in (photo.image.name, photo.thumbnail.name)]
    photos.delete()

    def delete_files():
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)


def export_disputes(lead_ids):
    return (
        Dispute.objects.filter(lead_id__in=lead_ids)
        .order_by("pk")
        .values("lead", "reason__title", "comment", "decision", "decision_note")
    )


def anonymise_disputes(lead_ids):
    Dispute.objects.filter(lead_id__in=lead_ids).update(comment="", decision_note="")


def register():
    from leadflow.privacy import registry

    registry.register("visits", export=export_visits, anonymise=anonymise_visits)
    registry.register("measurements", export=export_measurements, anonymise=anonymise_measurements)
    registry.register("measurement_photos", export=export_photos, anonymise=anonymise_photos)
    registry.register("disputes", export=export_disputes, anonymise=anonymise_disputes)
