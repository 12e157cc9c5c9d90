"""History rows for what is not a status change (SLA steps, calls, reassignments): append-only."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from ..models import (
    Lead,
    LeadEvent,
)


def history_record(*, lead, actor=None, event, description="", at=None):
    """An append-only history row for something that is not a status change (SLA, lease, reassign).

    `event` must be a LeadEvent member: a bare string would put a code no label knows on the page.
    """
    if not isinstance(event, LeadEvent):
        raise TypeError(f"history_record needs a LeadEvent, got {event!r}")
    return StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=lead.pk,
        source_state=lead.status,
        state=lead.status,
        transition=event.value,
        by=actor,
        description=description,
        timestamp=at or timezone.now(),
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One history row of `history_record_many`: an event of lead `lead_id` (source/state: its status)."""

    lead_id: int
    event: LeadEvent
    description: str
    at: datetime
    source_state: str
    state: str
    actor_id: int | None = None


def history_record_many(*, entries):
    """Append many history rows in one INSERT (the SLA sweep's backlog), in the order given."""
    if not entries:
        return []
    content_type = ContentType.objects.get_for_model(Lead)
    rows = []
    for entry in entries:
        if not isinstance(entry.event, LeadEvent):
            raise TypeError(f"history_record_many needs LeadEvents, got {entry.event!r}")
        rows.append(
            StateLog(
                content_type=content_type,
                object_id=entry.lead_id,
                source_state=entry.source_state,
                state=entry.state,
                transition=entry.event.value,
                by_id=entry.actor_id,
                description=entry.description,
                timestamp=entry.at,
            )
        )
    return StateLog.objects.bulk_create(rows)
