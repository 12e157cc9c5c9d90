"""The intake load used by the concurrency test and bench/reliability_full.py: N distinct leads posted by
concurrent clients, each delivery sent twice with the same (source, external_id), the two copies racing."""

import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

SOURCES = ("website", "avito")


def delivery(i):
    """Lead i: its own phone (repeats from one phone attach, so every lead needs a distinct one); sources
    alternate and both use the same external ids, so (source, external_id), not external_id, is the key."""
    return {
        "source": SOURCES[i % 2],
        "body": {
            "phone": f"+7912{i:07d}",
            "name": f"Нагрузка {i}",
            "external_id": f"order-{i // 2}",
            "product_interest": "custom",
            "message": "reliability",
        },
    }


def jobs(n, *, seed=7):
    """2n posts; each pair is adjacent or a few places apart, so most duplicates arrive concurrently."""
    rnd = random.Random(seed)
    keyed = []
    for i in range(n):
        keyed.append((i + rnd.random() * 3, i, 0))
        keyed.append((i + rnd.random() * 3, i, 1))
    keyed.sort()
    return [(i, copy) for _key, i, copy in keyed]


@dataclass
class LoadResult:
    statuses: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    bodies: dict = field(default_factory=dict)  # key -> (status, json or text)
    errors: list = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, p):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0

    def summary(self):
        return {
            "posts": sum(self.statuses.values()),
            "statuses": dict(sorted(self.statuses.items())),
            "seconds": round(self.seconds, 2),
            "posts_per_second": round(sum(self.statuses.values()) / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(statistics.median(self.latencies) * 1000, 1) if self.latencies else 0,
            "p95_ms": round(self.percentile(0.95) * 1000, 1),
            "max_ms": round(max(self.latencies, default=0) * 1000, 1),
            "client_errors": len(self.errors),
        }


def run(base_url, tokens, n, *, clients=20, timeout=30):
    """Post n leads twice each (2n posts) from `clients` threads; tokens: {source code: key}.
    Results are keyed (i, copy)."""
    posts = []
    for i, copy in jobs(n):
        lead = delivery(i)
        posts.append(((i, copy), lead["source"], lead["body"]))
    return post_all(base_url, tokens, posts, clients=clients, timeout=timeout)


def post_all(base_url, tokens, posts, *, clients=20, timeout=30):
    """POST every (key, source code, body) of `posts` to the intake API from `clients` threads."""
    url = base_url.rstrip("/") + "/api/v1/leads/"
    position = iter(range(len(posts)))
    lock = threading.Lock()
    result = LoadResult()

    def client():
        session = requests.Session()
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            key, source, body = posts[index]
            headers = {"Authorization": f"Token {tokens[source]}", "Accept-Language": "en"}
            started = time.perf_counter()
            try:
                response = session.post(url, json=body, headers=headers, timeout=timeout)
            except requests.RequestException as exc:
                with lock:
                    result.errors.append((key, repr(exc)))
                continue
            elapsed = time.perf_counter() - started
            try:
                answer = response.json()
            except ValueError:
                answer = response.text[:300]
            with lock:
                result.statuses[response.status_code] += 1
                result.latencies.append(elapsed)
                result.bodies[key] = (response.status_code, answer)
        session.close()

    threads = [threading.Thread(target=client, name=f"intake-client-{k}") for k in range(min(clients, len(posts)))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result
