"""What the qualification app holds about a lead's person, for leadflow.privacy (registered in apps.py).

Criteria answers are choices, numbers and yes/no (the funnel splits by them): exported, never blanked.
Call notes and the hand-off note are free text a qualifier typed: blanked.
"""

from django.db.models import F

from .models import CallAttempt, CallRecording, HandoffSummary, LeadAnswer
from .services.recordings import call_recordings_erase


def export_call_attempts(lead_ids):
    return (
        CallAttempt.objects.filter(lead_id__in=lead_ids)
        .order_by("called_at", "pk")
        .values("lead", "called_at", "outcome", "direction", "duration_seconds", "callback_at", "note")
    )


def anonymise_call_attempts(lead_ids):
    CallAttempt.objects.filter(lead_id__in=lead_ids).exclude(note="").update(note="")


def export_answers(lead_ids):
    return (
        LeadAnswer.objects.filter(lead_id__in=lead_ids)
        .order_by("answered_at", "pk")
        .values("lead", "criterion__question", "value", "passed", "answered_at")
    )


def anonymise_answers(lead_ids):
    """Nothing to blank: an answer is an option, a number or yes/no, and the reports group by it."""


def export_handoff_summaries(lead_ids):
    return (
        HandoffSummary.objects.filter(lead_id__in=lead_ids)
        .order_by("created_at", "pk")
        .values("lead", "created_at", "answers", "budget", "timeline", "best_time_to_visit", "note")
    )


def anonymise_handoff_summaries(lead_ids):
    HandoffSummary.objects.filter(lead_id__in=lead_ids).update(best_time_to_visit="", note="")


def export_recordings(lead_ids):
    """What is kept of each call's recording (the audio itself is not part of the export)."""
    return (
        CallRecording.objects.filter(attempt__lead_id__in=lead_ids)
        .order_by("fetched_at", "pk")
        .values(
            "duration_seconds",
            "size_bytes",
            "removed_at",
            lead=F("attempt__lead_id"),
            called_at=F("attempt__called_at"),
        )
    )


def anonymise_recordings(lead_ids):
    """The person's voice goes: the files are deleted once the erasure commits, the rows keep a note."""
    call_recordings_erase(lead_ids)


def register():
    from leadflow.privacy import registry

    registry.register("call_attempts", export=export_call_attempts, anonymise=anonymise_call_attempts)
    registry.register("call_recordings", export=export_recordings, anonymise=anonymise_recordings)
    registry.register("answers", export=export_answers, anonymise=anonymise_answers)
    registry.register("handoff_summaries", export=export_handoff_summaries, anonymise=anonymise_handoff_summaries)
