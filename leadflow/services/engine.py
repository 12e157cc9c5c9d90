"""The SLA engine's liveness: the sweep records its heartbeat here."""

from django.utils import timezone

from ..models import (
    SLA_ENGINE,
    EngineHeartbeat,
)


def engine_heartbeat_record(*, name: str = SLA_ENGINE, at=None) -> None:
    """The engine ran (the beat's SLA sweep task, at the end of each run): one UPDATE, an INSERT the first time."""
    at = at or timezone.now()
    if not EngineHeartbeat.objects.filter(name=name).update(beat_at=at):
        EngineHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": at})
