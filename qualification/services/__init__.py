"""Writes of the qualifier's workspace: claim, next lead, lease, calls, checklist, qualify, hand-off.

Every write locks the lead row (leadflow.services.lock_lead), checks who may act (leadflow.access),
changes the status only through `lead_transition` and leaves a history row with its actor. Only the
public services are exported here; helpers stay private to their module.
"""

from .calls import call_attempt_log, sla_state_on_first_call
from .checklist import (
    checklist_copy,
    checklist_version_create,
    criterion_clean_value,
    criterion_evaluate,
    lead_answers_save,
)
from .claims import (
    claim_leases_expire,
    lead_claim,
    lead_claim_next,
    lead_reassign,
    lead_release,
    lease_expires_at,
)
from .handoff import (
    OPEN_DEAL_STATUSES,
    eligible_sales_reps,
    lead_hand_off,
    lead_qualify_and_hand_off,
    lead_send_to_sales,
    sales_rep_choose,
)
from .qualify import UNREACHABLE_REASON, lead_disqualify, lead_qualify
from .reviews import (
    ReviewRefused,
    call_review_acknowledge,
    call_review_save,
    call_script_publish,
    review_sample_draw,
    review_samples_draw_all,
    review_score,
)

__all__ = [
    "OPEN_DEAL_STATUSES",
    "UNREACHABLE_REASON",
    "ReviewRefused",
    "call_review_acknowledge",
    "call_review_save",
    "call_script_publish",
    "review_sample_draw",
    "review_samples_draw_all",
    "review_score",
    "call_attempt_log",
    "checklist_copy",
    "checklist_version_create",
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
