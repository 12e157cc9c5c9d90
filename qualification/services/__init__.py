"""Writes of the qualifier's workspace: claim, next lead, lease, calls, checklist, qualify, hand-off.

Every write locks the lead row (leadflow.services.lock_lead), checks who may act, changes the status
only through `lead_transition` and leaves a history row with its actor.
"""

from .calls import call_attempt_log, sla_state_on_first_call
from .checklist import _criteria_refresh, _display, criterion_clean_value, criterion_evaluate, lead_answers_save
from .claims import (
    _claim_locked,
    _lease_expire_one,
    claim_leases_expire,
    lead_claim,
    lead_claim_next,
    lead_reassign,
    lead_release,
    lease_expires_at,
)
from .common import _ensure_holder, _ensure_queue_manager, _ensure_team_member, _touch
from .handoff import (
    OPEN_DEAL_STATUSES,
    _deal_url,
    _handoff_notify,
    _handoff_summary_create,
    _pending_handoff_note,
    eligible_sales_reps,
    lead_hand_off,
    lead_qualify_and_hand_off,
    lead_send_to_sales,
    sales_rep_choose,
)
from .qualify import UNREACHABLE_REASON, lead_disqualify, lead_qualify

__all__ = [
    "OPEN_DEAL_STATUSES",
    "UNREACHABLE_REASON",
    "_claim_locked",
    "_criteria_refresh",
    "_deal_url",
    "_display",
    "_ensure_holder",
    "_ensure_queue_manager",
    "_ensure_team_member",
    "_handoff_notify",
    "_handoff_summary_create",
    "_lease_expire_one",
    "_pending_handoff_note",
    "_touch",
    "call_attempt_log",
    "claim_leases_expire",
    "criterion_clean_value",
    "criterion_evaluate",
    "eligible_sales_reps",
    "lead_answers_save",
    "lead_claim",
    "lead_claim_next",
    "lead_disqualify",
    "lead_hand_off",
    "lead_qualify",
    "lead_qualify_and_hand_off",
    "lead_reassign",
    "lead_release",
    "lead_send_to_sales",
    "lease_expires_at",
    "sales_rep_choose",
    "sla_state_on_first_call",
]
