"""A fixed-window rate limiter on the Django cache, shared by every web process when the cache is.

Small on purpose: `cache.add` + `cache.incr` are atomic on Redis and memcached (and within one process
on locmem), which is all a per-IP form limit needs. No extra dependency, works with any cache backend.
On Django's Redis cache the count is one command (`_count_on_redis`, a Lua script through redis-py, the
client Django's cache and the broker already use): `add` + `incr` cost three round trips there, for
every API request (Django's `incr` asks `EXISTS` first).
"""

import time

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script

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
    """The window's count with this request, on Django's Redis cache: INCR, and the expiry when INCR
    opened the window, in one Lua script (one command, one round trip, atomic: no counter is left
    without expiry). The value is an integer, as Django's Redis cache stores an int, so `cache.get`
    reads it and a counter opened by `cache.add` goes on. None on another backend."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    full_key = backend.make_and_validate_key(cache_key)
    client = backend._cache.get_client(full_key, write=True)
    return _INCR_WITH_EXPIRY(keys=[full_key], args=[timeout], client=client)


# EVALSHA; redis-py loads the script on the server the first time it is missing there (NOSCRIPT)
_INCR_WITH_EXPIRY = Script(
    None,  # no client of its own: each call passes the cache's (bytes, so none is asked for an encoder)
    b"""local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count""",
)


def client_ip(request, header=None):
    """The client address. Behind a reverse proxy pass the header it sets (e.g. 'HTTP_X_REAL_IP')."""
    if header:
        value = request.META.get(header, "")
        if value:
            return value.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
