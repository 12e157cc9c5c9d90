"""leadflow.ratelimit: fixed windows on the cache; on Django's Redis cache one round trip per request."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from leadflow import ratelimit

NOW = 1_800_000_000.0  # a window start for '3/m' and '2/s' alike (divisible by 60)


def _redis_cache_settings():
    """Django's Redis cache on the server the suite's broker uses (db 14), under a prefix of its own."""
    parts = urlsplit(os.environ.get("CELERY_BROKER_URL", ""))
    location = urlunsplit((parts.scheme, parts.netloc, "/14", "", ""))
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def redis_cache():
    with override_settings(CACHES=_redis_cache_settings()):
        yield cache
        cache.clear()


@pytest.fixture
def round_trips(monkeypatch):
    """Commands sent to Redis, counted where redis-py writes them to the socket (a pipeline is one)."""
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def test_the_window_counts_up_to_the_rate_then_refuses_on_any_cache():
    scope = f"test-{uuid.uuid4().hex}"
    assert [ratelimit.hit(scope, "k", "3/m", now=NOW + i) for i in range(5)] == [True, True, True, False, False]
    assert ratelimit.hit(scope, "k", "3/m", now=NOW + 60)  # the next window starts again


@pytest.mark.redis
def test_on_redis_the_window_counts_up_to_the_rate_then_refuses(redis_cache):
    assert [ratelimit.hit("api-token", 7, "3/m", now=NOW + i) for i in range(5)] == [True, True, True, False, False]
    assert ratelimit.hit("api-token", 7, "3/m", now=NOW + 60)
    assert ratelimit.hit("api-token", 8, "3/m", now=NOW)  # another key has its own counter


@pytest.mark.redis
def test_on_redis_the_counter_expires_after_its_window_and_reads_as_an_int(redis_cache):
    window = int(NOW // 60)
    ratelimit.hit("form", "10.0.0.1", "3/m", now=NOW)
    ratelimit.hit("form", "10.0.0.1", "3/m", now=NOW)

    key = f"ratelimit:form:10.0.0.1:{window}"
    assert cache.get(key) == 2
    full_key = cache.make_and_validate_key(key)
    ttl = cache._cache.get_client(full_key).ttl(full_key)
    assert 0 < ttl <= 61


@pytest.mark.redis
def test_on_redis_a_counter_started_by_cache_add_goes_on(redis_cache):
    """During a deploy an older process may have opened the window with cache.add(key, 1)."""
    window = int(NOW // 1)
    cache.add(f"ratelimit:api-token:9:{window}", 1, timeout=2)

    assert ratelimit.hit("api-token", 9, "2/s", now=NOW)  # the second request of the window
    assert not ratelimit.hit("api-token", 9, "2/s", now=NOW)


@pytest.mark.redis
def test_on_redis_each_request_is_one_round_trip(redis_cache, round_trips):
    ratelimit.hit("api-token", 11, "100/m", now=NOW)  # the connection's own handshake goes first
    round_trips.clear()

    for i in range(5):
        ratelimit.hit("api-token", 11, "100/m", now=NOW + i)

    assert len(round_trips) == 5
    assert cache.get(f"ratelimit:api-token:11:{int(NOW // 60)}") == 6


@pytest.mark.redis
def test_on_redis_the_count_goes_on_after_the_server_lost_its_scripts(redis_cache):
    """A restarted Redis (or SCRIPT FLUSH) no longer knows the counting script: it is loaded again."""
    ratelimit.hit("api-token", 12, "3/m", now=NOW)
    full_key = cache.make_and_validate_key("anything")
    cache._cache.get_client(full_key, write=True).script_flush()

    assert [ratelimit.hit("api-token", 12, "3/m", now=NOW) for _ in range(3)] == [True, True, False]
