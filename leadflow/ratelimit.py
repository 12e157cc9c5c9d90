"""A fixed-window rate limiter on the Django cache, shared by every web process when the cache is.

Small on purpose: `cache.add` + `cache.incr` are atomic on Redis and memcached (and within one process
on locmem), which is all a per-IP form limit needs. No extra dependency, works with any cache backend.
"""

import time

from django.core.cache import cache

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
    if cache.add(cache_key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: this request opens a new window
            cache.add(cache_key, 1, timeout=period + 1)
            count = 1
    return count <= limit


def client_ip(request, header=None):
    """The client address. Behind a reverse proxy pass the header it sets (e.g. 'HTTP_X_REAL_IP')."""
    if header:
        value = request.META.get(header, "")
        if value:
            return value.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
