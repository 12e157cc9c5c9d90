"""Reads of the pipeline core that more than one app needs."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from . import access
from .models import SLA_ENGINE, EngineHeartbeat, Inquiry, Lead
from .search import lead_search


@dataclass(frozen=True)
class EngineStatus:
    name: str
    ok: bool
    beat_at: datetime | None  # the last run, None if it never ran
    since: datetime | None  # when not ok: stopped since (the last run, or when we began to watch it)


def engine_status(*, name: str = SLA_ENGINE, now=None) -> EngineStatus:
    """Is the engine alive: did it run within SLA_ENGINE_STALE_SECONDS? One query.

    Silence is never green: an engine that never ran is stale once the grace period after its row
    was created (the migration, a fresh install) has passed; a missing row is stale at once.
    """
    now = now or timezone.now()
    row = EngineHeartbeat.objects.filter(name=name).values_list("beat_at", "watched_since").first()
    if row is None:
        return EngineStatus(name=name, ok=False, beat_at=None, since=None)
    beat_at, watched_since = row
    last = beat_at or watched_since
    ok = now - last <= timedelta(seconds=settings.SLA_ENGINE_STALE_SECONDS)
    return EngineStatus(name=name, ok=ok, beat_at=beat_at, since=None if ok else last)


def delivery_first(*, source, external_id):
    """The inquiry that a `(source, external_id)` delivery first created (None without an external id)."""
    if not external_id:
        return None
    return Inquiry.objects.filter(source=source, external_id=external_id).order_by("pk").first()


SEARCH_LIMIT = 50


def lead_search_results(*, user, text):
    """The first SEARCH_LIMIT leads `user` may see (access.leads_scope: open and closed) matching `text`
    by name, phone in any format, e-mail or external id; newest first."""
    return list(
        Lead.objects.filter(access.leads_scope(user))
        .filter(lead_search(text))
        .select_related("source", "qualifier", "sales_rep")
        .order_by("-received_at", "-pk")[:SEARCH_LIMIT]
    )
