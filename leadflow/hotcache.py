"""A short-lived per-process cache for what every intake request reads and almost nothing changes:
the API token (by its key's hash), the default qualification team and its working-hours calendar.

Each entry lives `HOT_CACHE_SECONDS` (default 5). Saving or deleting a token, source, team or working
hours clears the whole cache of the process that saved it at once (signals, leadflow.apps); the other
processes (gunicorn workers) see the change within the TTL. Security consequence, stated in
docs/security.md: a revoked or expired token keeps opening the intake API of another worker for at
most `HOT_CACHE_SECONDS`.

Not Django's cache framework: a Redis round trip costs what the SELECT it would replace costs.
"""

import threading
import time

from django.conf import settings

_entries = {}
_lock = threading.Lock()


def get_or_load(key, loader):
    """The cached value of `key`, or `loader()` stored for the TTL. A `None` from the loader is not kept
    (an unknown token is looked up again next time: a new token works at once)."""
    ttl = getattr(settings, "HOT_CACHE_SECONDS", 5)
    now = time.time()  # wall clock, so time-machine can age an entry; a clock set back expires it too
    entry = _entries.get(key)
    if entry is not None and now < entry[0] <= now + ttl:
        return entry[1]
    value = loader()
    if value is not None and ttl > 0:
        with _lock:
            _entries[key] = (now + ttl, value)
    return value


def clear(**kwargs):
    """Drop every entry (signal receiver: any save or delete of a cached model)."""
    with _lock:
        _entries.clear()
