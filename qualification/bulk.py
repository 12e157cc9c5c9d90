"""The bulk path of the qualification app's tables (used by the demo generator): the column order of
each table's rows and a writer for them (leadflow.bulk.RowWriter: COPY on PostgreSQL)."""

from leadflow.bulk import RowWriter

from .models import CallAttempt, HandoffSummary, LeadAnswer

CALL_ATTEMPT_COLUMNS = [  # CallAttempt rows, in this order
    "lead_id",
    "actor_id",
    "outcome",
    "note",
    "called_at",
    "callback_at",
    "direction",
    "duration_seconds",
    "external_event_id",
    "created_at",
]
LEAD_ANSWER_COLUMNS = [
    "lead_id",
    "criterion_id",
    "checklist_version",
    "value",
    "passed",
    "answered_by_id",
    "answered_at",
]
HANDOFF_SUMMARY_COLUMNS = [
    "lead_id",
    "sales_rep_id",
    "created_by_id",
    "created_at",
    "checklist_version",
    "answers",
    "budget",
    "timeline",
    "best_time_to_visit",
    "note",
]


def call_attempt_rows_writer():
    return RowWriter(CallAttempt, CALL_ATTEMPT_COLUMNS)


def lead_answer_rows_writer():
    return RowWriter(LeadAnswer, LEAD_ANSWER_COLUMNS)


def handoff_summary_rows_writer():
    return RowWriter(HandoffSummary, HANDOFF_SUMMARY_COLUMNS)
