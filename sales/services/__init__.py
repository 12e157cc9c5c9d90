"""Writes of the rep's deal board: accept/dispute, arbitration, measurement visits, quote, won/lost.

One service per operation (`<noun>_<verb>`, keyword-only, explicit actor, atomic, returns the model).
"""

from .deals import (
    deal_correct,
    deal_reassign,
    deal_reopen,
    lead_lose,
    lead_record_measurement,
    lead_win,
)
from .feeds import calendar_feed_for_token, calendar_feed_rotate
from .handoffs import (
    dispute_reject,
    dispute_uphold,
    handoff_accept,
    handoff_dispute,
    handoff_flag_overdue,
)
from .visits import (
    visit_book_and_hand_off,
    visit_mark_no_show,
    visit_reminders_evening,
    visit_reminders_morning,
    visit_report_late,
    visit_reschedule,
    visit_schedule,
)

__all__ = [
    "calendar_feed_for_token",
    "calendar_feed_rotate",
    "deal_correct",
    "deal_reopen",
    "deal_reassign",
    "dispute_reject",
    "dispute_uphold",
    "handoff_accept",
    "handoff_dispute",
    "handoff_flag_overdue",
    "lead_lose",
    "lead_record_measurement",
    "lead_win",
    "visit_book_and_hand_off",
    "visit_mark_no_show",
    "visit_reminders_evening",
    "visit_reminders_morning",
    "visit_report_late",
    "visit_reschedule",
    "visit_schedule",
]
