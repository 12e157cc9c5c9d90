"""The pipeline core's models: teams and people, the Lead FSM, intake records, reasons, notifications."""

from .catalog import Reason, Source, _new_token_key
from .credentials import ApiToken, SecurityEvent, api_key_hash
from .engine import SLA_ENGINE, EngineHeartbeat
from .events import LeadEvent
from .inbox import Inquiry, InquiryChannel, Notification
from .lead import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    RUNNING_SLA_STATES,
    HandoffState,
    Language,
    Lead,
    LeadStatus,
    ProductInterest,
    SlaState,
    all_criteria_pass,
    handoff_not_disputed,
    has_deal_amount,
    has_disqualify_reason,
    has_lose_reason,
    has_qualifier,
    has_quote,
    has_sales_rep,
)
from .security import SecurityPolicy
from .teams import Profile, Shift, Team, WorkingHours
from .telephony import PbxAccount
from .vertical import Vertical

__all__ = [
    "PbxAccount",
    "ApiToken",
    "SecurityEvent",
    "SecurityPolicy",
    "Shift",
    "api_key_hash",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "RUNNING_SLA_STATES",
    "SLA_ENGINE",
    "EngineHeartbeat",
    "HandoffState",
    "Inquiry",
    "InquiryChannel",
    "Lead",
    "LeadEvent",
    "LeadStatus",
    "Notification",
    "Profile",
    "Language",
    "ProductInterest",
    "Reason",
    "SlaState",
    "Source",
    "Team",
    "Vertical",
    "WorkingHours",
    "_new_token_key",
    "all_criteria_pass",
    "handoff_not_disputed",
    "has_deal_amount",
    "has_disqualify_reason",
    "has_lose_reason",
    "has_qualifier",
    "has_quote",
    "has_sales_rep",
]
