"""The bulk path of the sales app's tables (used by the demo generator): the column order of each
table's rows, a writer for them (leadflow.bulk.RowWriter: COPY on PostgreSQL) and the id sequences
to move past rows written with explicit ids (visits, measurements)."""

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
