"""A fixed-window rate limiter on the Django cache, shared by every web process when the cache is.

Small on purpose: `cache.add` + `cache.incr` are atomic on Redis and memcached (and within one process
on locmem), which is all a per-IP form limit needs. No extra dependency, works with any cache backend.
On Django's Redis cache the count is one round trip (`_count_on_redis`): `add` + `incr` cost three
there, for every API request (Django's `incr` asks `EXISTS` first).
"""

import time

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """'10/m' → (10, 60). Accepts s, m, h, d (also 'min', 'hour'…: only the first letter counts)."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"Bad rate {rate!r}: expected e.g. '10/m'") from None


def hit(scope, key, rate, *, now=None):
    """Count one request of `key` in `scope`; False when it is over `rate` in the current window."""
    limit, period = parse_rate(rate)
    window = int((now if now is not None else time.time()) // period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    count = _count_on_redis(cache_key, period + 1)
    if count is None:
        count = _count_on_any_cache(cache_key, period + 1)
    return count <= limit


def _count_on_any_cache(cache_key, timeout):
    """The window's count with this request, with the cache API alone."""
    if cache.add(cache_key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this request opens a new window
        cache.add(cache_key, 1, timeout=timeout)
        return 1


def _count_on_redis(cache_key, timeout):
    """The window's count with this request, on Django's Redis cache: SET NX with the expiry, then INCR,
    in one MULTI/EXEC pipeline (one round trip, atomic: the key cannot expire between the two, which
    would leave a counter without expiry). The value is stored as Django's Redis cache stores an int,
    so `cache.get` reads it and a counter started by `cache.add` goes on. None on another backend."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    full_key = backend.make_and_validate_key(cache_key)
    pipeline = backend._cache.get_client(full_key, write=True).pipeline(transaction=True)
    pipeline.set(full_key, 0, ex=timeout, nx=True)
    pipeline.incr(full_key)
    _created, count = pipeline.execute()
    return count


def client_ip(request, header=None):
    """The client address. Behind a reverse proxy pass the header it sets (e.g. 'HTTP_X_REAL_IP')."""
    if header:
        value = request.META.get(header, "")
        if value:
            return value.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
