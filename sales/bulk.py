"""The bulk path of the sales app's tables (used by the demo generator): the column order of each
table's rows, a writer for them (leadflow.bulk.RowWriter: COPY on PostgreSQL) and the id sequences
to move past rows written with explicit ids (visits, measurements)."""

import uuid

from leadflow.bulk import RowWriter, reset_sequence

from .models import Dispute, Measurement, Visit

DISPUTE_COLUMNS = [
    "lead_id",
    "reason_id",
    "comment",
    "raised_by_id",
    "raised_at",
    "qualifier_id",
    "sales_rep_id",
    "decision",
    "decided_by_id",
    "decided_at",
    "decision_note",
    "upheld_action",
    "counts_against",
    "counts_against_user_id",
]
VISIT_COLUMNS = [
    "id",
    "lead_id",
    "rep_id",
    "starts_at",
    "ends_at",
    "address",
    "note",
    "status",
    "booked_by_id",
    "rescheduled_from_id",
    "status_changed_at",
    "rep_reminded_at",
    "client_details_sent_at",
    "created_at",
    "updated_at",
    "series",  # one per chain of reschedules (the calendar feed's UID): bulk_visit_series()
    "sequence",
]
MEASUREMENT_COLUMNS = [
    "id",
    "lead_id",
    "visit_id",
    "quote_amount",
    "objection_note",
    "next_step",
    "next_step_due",
    "recorded_by_id",
    "recorded_at",
]
MEASUREMENT_OBJECTION_COLUMNS = ["measurement_id", "objectiontag_id"]


def bulk_visit_series(visit_id, rescheduled_from=None):
    """(series, sequence) of a visit row written in bulk: a new series named after its first visit's id,
    or the series of the visit it reschedules, one further. `rescheduled_from`: that visit's pair."""
    if rescheduled_from is not None:
        series, sequence = rescheduled_from
        return series, sequence + 1
    return uuid.uuid5(uuid.NAMESPACE_URL, f"leadflow-visit-{visit_id}").hex, 0  # hex: a uuid column and SQLite alike


def dispute_rows_writer():
    return RowWriter(Dispute, DISPUTE_COLUMNS)


def visit_rows_writer():
    return RowWriter(Visit, VISIT_COLUMNS)


def measurement_rows_writer():
    return RowWriter(Measurement, MEASUREMENT_COLUMNS)


def measurement_objection_rows_writer():
    return RowWriter(Measurement.objections.through, MEASUREMENT_OBJECTION_COLUMNS)


def visit_and_measurement_ids_reset():
    """After writing visits and measurements with explicit ids."""
    reset_sequence(Visit)
    reset_sequence(Measurement)
