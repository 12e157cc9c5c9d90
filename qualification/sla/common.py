"""Constants and the logger shared by the SLA modules."""

import logging

from leadflow.models import SlaState

log = logging.getLogger("qualification.sla")  # the name the SLA log lines have always carried

WARN, BREACH = "warn", "breach"
KINDS = (WARN, BREACH)
RUNNING_STATES = (SlaState.PENDING, SlaState.WARNED)  # the clock runs; lead_sla_open_idx covers these
CALL_TRACKING_SOURCE = "call_tracking"
