"""Writes of the pipeline core: intake, the transition runner, history rows, notifications, API
credentials and the SLA engine's heartbeat. One module each; the public names are exported here.

Per-operation services (lead_claim, lead_qualify, lead_win…) live in the apps and call
`lead_transition`, which owns the row lock, the permission check and the audit row.
"""

from .credentials import api_token_issue, api_token_revoke, api_token_rotate, security_event_record
from .engine import engine_heartbeat_record
from .history import HistoryEntry, history_record, history_record_many
from .intake import (
    INTAKE_LEAD_FIELDS,
    IntakeResult,
    default_qualification_team,
    lead_receive,
    payload_storable,
    sla_deadlines,
)
from .notifications import NotificationDraft, notification_send, notifications_mark_read, notifications_send_many
from .roster import ShiftRefused, shift_create, shift_delete, shift_update
from .transitions import lead_transition, lock_lead, transition_action

__all__ = [
    "ShiftRefused",
    "shift_create",
    "shift_delete",
    "shift_update",
    "HistoryEntry",
    "INTAKE_LEAD_FIELDS",
    "IntakeResult",
    "NotificationDraft",
    "api_token_issue",
    "api_token_revoke",
    "api_token_rotate",
    "default_qualification_team",
    "engine_heartbeat_record",
    "history_record",
    "history_record_many",
    "lead_receive",
    "lead_transition",
    "lock_lead",
    "notification_send",
    "notifications_mark_read",
    "notifications_send_many",
    "payload_storable",
    "security_event_record",
    "sla_deadlines",
    "transition_action",
]
