"""History rows for what is not a status change (SLA steps, calls, reassignments): append-only."""

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
