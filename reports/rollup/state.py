"""Which days the rollup holds (RollupState), cached for a minute per database."""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction

from ..models import RollupState

NIGHTLY_DAYS = 62
CHANGE_OVERLAP = timedelta(minutes=10)  # a transaction may commit a little after its updated_at
STATE_CACHE_KEY = "reports:rollup-state:{database}"  # per database: a test run may share the cache
STATE_CACHE_SECONDS = 60


def _state_key():
    return STATE_CACHE_KEY.format(database=connection.settings_dict["NAME"])


def forget_state():
    """Drop the cached state (rollup_state): a rebuild, and tests whose database was rolled back."""
    cache.delete(_state_key())


def _forget_state():
    forget_state()
    transaction.on_commit(forget_state)


def rollup_state():
    """(covered_from, covered_until, changes_seen_until) or None; cached for a minute (a rebuild or a
    refresh forgets it; an older `changes_seen_until` only makes stale_months more careful)."""
    key = _state_key()
    cached = cache.get(key)
    if cached is None:
        state = RollupState.objects.values_list("covered_from", "covered_until", "changes_seen_until").first()
        cached = ("built", *state) if state else ("none",)
        cache.set(key, cached, STATE_CACHE_SECONDS)
    return cached[1:] if cached[0] == "built" else None
