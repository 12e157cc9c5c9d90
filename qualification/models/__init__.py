"""The qualifier's workspace data: call attempts, the versioned criteria checklist, answers, scripts.
A package: `calls`, `checklists`, `scripts` (scripts and call reviews), `handoff`; import from here."""

from .calls import CallAttempt, CallRecording, PbxCall, recording_path
from .checklists import Checklist, Criterion, LeadAnswer
from .handoff import HandoffRoute, HandoffSummary
from .scripts import CallReview, CallScript, ReviewMark, ReviewPolicy, ScriptStep

__all__ = [
    "CallAttempt",
    "CallRecording",
    "CallReview",
    "CallScript",
    "Checklist",
    "Criterion",
    "HandoffRoute",
    "HandoffSummary",
    "LeadAnswer",
    "PbxCall",
    "ReviewMark",
    "ReviewPolicy",
    "ScriptStep",
    "recording_path",
]
