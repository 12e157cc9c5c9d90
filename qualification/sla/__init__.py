"""Speed-to-lead SLA: schedule the checks, run them idempotently, sweep, escalate, report.

The clock of a lead starts at `received_at`; its deadlines (`sla_warn_at`, `sla_breach_at`) are
stamped at intake in the team's working hours (leadflow.services.sla_deadlines) and the clock stops
at the first call attempt (qualification.services.call_attempt_log). This module enforces them:

- `on_lead_received` (connected in QualificationConfig.ready) publishes one Celery check at each
  deadline when SLA_CHECK_MESSAGES is on (off by default: the sweep is the clock); a broker outage is
  logged and ignored, the sweep catches up.
- `sla_check_lead` re-reads the lead under a row lock and moves it pending → warned → breached;
  `sla_checks_run` does the same for many leads in a constant number of statements.
  A duplicate, early or late message changes nothing twice: the state guards the step and every
  notification carries a dedupe key.
- `sla_sweep` (Celery beat, every SLA_SWEEP_SECONDS: 15) runs every check whose deadline passed.
"""

from .checks import _clock_running, _lead_label, sla_check_lead, sla_checks_run
from .common import BREACH, CALL_TRACKING_SOURCE, KINDS, RUNNING_STATES, WARN, log
from .panel import SlaPanel, median_duration, sla_panel_get, sla_panel_teams
from .schedule import on_lead_received, sla_checks_schedule
from .shift import SlaContext, qualifiers_on_shift
from .sweep import sla_due_queryset, sla_leads_due, sla_sweep
from .telephony import (
    CallEventResult,
    _call_event_record,
    call_event_record,
    call_operator_find,
    call_start_problem,
)

__all__ = [
    "BREACH",
    "CALL_TRACKING_SOURCE",
    "CallEventResult",
    "KINDS",
    "RUNNING_STATES",
    "SlaContext",
    "SlaPanel",
    "WARN",
    "_call_event_record",
    "_clock_running",
    "_lead_label",
    "call_event_record",
    "call_operator_find",
    "call_start_problem",
    "log",
    "median_duration",
    "on_lead_received",
    "qualifiers_on_shift",
    "sla_check_lead",
    "sla_checks_run",
    "sla_checks_schedule",
    "sla_due_queryset",
    "sla_leads_due",
    "sla_panel_get",
    "sla_panel_teams",
    "sla_sweep",
]
