"""What the sales app holds about a lead's person, for leadflow.privacy (registered in apps.py).

A visit's address and notes, the measurement's notes and the dispute texts are blanked; times, statuses,
amounts and objection tags (the reports count them) stay.
"""

from .models import Dispute, Measurement, Visit


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
    registry.register("disputes", export=export_disputes, anonymise=anonymise_disputes)
