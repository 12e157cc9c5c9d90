"""The one vocabulary of a lead's history: every event code a StateLog row may carry.

Status transitions are logged by django-fsm-log under their method name (claim, qualify…); the
services record the other events through `leadflow.services.history_record(event=LeadEvent.X)`.
A member's label is the history word ("Taken"); the button word ("Take the lead") and the refusal
hints sit on the transition itself (`Lead.claim`'s `custom`), next to the event it logs.
The codes are stored in the database: never rename one, add a member instead.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadEvent(models.TextChoices):
    # status transitions: the value is the transition method's name
    CLAIM = "claim", _("Taken")
    RELEASE = "release", _("Back to the pool")
    QUALIFY = "qualify", _("Qualified")
    DISQUALIFY = "disqualify", _("Disqualified")
    HAND_OFF = "hand_off", _("Handed off")
    RETURN_TO_QUALIFICATION = "return_to_qualification", _("Returned to qualification")
    RECORD_MEASUREMENT = "record_measurement", _("Measured")
    WIN = "win", _("Won")
    LOSE = "lose", _("Lost")
    REOPEN = "reopen", _("Back in work")
    # intake
    RECEIVED = "received", _("Received")
    REPEAT_INQUIRY = "repeat_inquiry", _("Repeat inquiry")
    # qualification
    CALL_ATTEMPT = "call_attempt", _("Call")
    CHECKLIST_ANSWERED = "checklist_answered", _("Criteria answered")
    HANDOFF_NOTE = "handoff_note", _("Hand-off note")
    REASSIGNED = "reassigned", _("Reassigned")
    # speed-to-lead SLA
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    SLA_REASSIGNED = "sla_reassigned", _("Reassigned on SLA breach")
    SLA_REASSIGN_SKIPPED = "sla_reassign_skipped", _("Not reassigned: nobody free")
    # the hand-off to sales
    HANDOFF_ACCEPTED = "handoff_accepted", _("Hand-off accepted")
    HANDOFF_DISPUTED = "handoff_disputed", _("Hand-off disputed")
    DISPUTE_UPHELD = "dispute_upheld", _("Dispute upheld")
    DISPUTE_REJECTED = "dispute_rejected", _("Dispute rejected")
    ACCEPTANCE_OVERDUE = "acceptance_overdue", _("Acceptance overdue")
    # measurement visits
    VISIT_SCHEDULED = "visit_scheduled", _("Measurement booked")
    VISIT_RESCHEDULED = "visit_rescheduled", _("Measurement rescheduled")
    VISIT_NO_SHOW = "visit_no_show", _("No-show")
    VISIT_RUNNING_LATE = "visit_running_late", _("Rep running late")
    # corrections of a closed deal by the sales manager or director (sales.DealCorrection keeps old → new)
    DEAL_CORRECTED = "deal_corrected", _("Deal corrected")
    # personal data (152-ФЗ): retention or a person's erasure request removed name, phone and free texts
    PERSONAL_DATA_REMOVED = "personal_data_removed", _("Personal data removed")

    @classmethod
    def label_of(cls, code):
        """The history word for a stored code; a code no member knows reads as a plain "Event"."""
        try:
            return cls(code).label
        except ValueError:
            return _("Event")
