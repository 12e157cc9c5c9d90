"""The qualifier's workspace on a big database: queue page and lead card p50/p95 with 1,000,000 leads, and
"Next lead" claims per second with 50 concurrent qualifiers (target: queue p95 < 100 ms).

    psql -h 127.0.0.1 -U postgres -c "create database leadflow_perf_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_perf_bench .venv/bin/python bench/queue_page.py

The database must be PostgreSQL with "bench" in its name. When it has fewer than BENCH_QUEUE_LEADS
leads (default 1,000,000) it is filled with `manage.py seed_demo --leads N` (COPY, ~7 min for 1M on
2 cores); otherwise the leads already there are reused. Pages are requested in-process with the
Django test client (middleware, view, selectors, templates; DEBUG off via bench/settings_bench.py)
as the demo qualifier `qualifier1` and the qualification lead `qlead`: BENCH_QUEUE_REQUESTS timed
requests per row (default 100) after 5 warm-up requests.

Claims: BENCH_QUALIFIERS threads (default 50), each a qualifier of the team with its own database
connection, press "Next lead" (qualification.services.lead_claim_next: real transactions, SELECT …
FOR UPDATE SKIP LOCKED) until BENCH_CLAIM_SECONDS (default 15) or BENCH_CLAIMS_PER_QUALIFIER (default
20) claims each. No lead may be claimed twice; afterwards the claimed leads are put back into the pool
and the bench qualifiers' history rows removed, so the next run finds the same pool.
"""

import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import percentile, print_table, seed_demo_up_to, setup_scratch_django  # noqa: E402

LEADS = int(os.environ.get("BENCH_QUEUE_LEADS", 1_000_000))
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", 100))
QUALIFIERS = int(os.environ.get("BENCH_QUALIFIERS", 50))
CLAIM_SECONDS = float(os.environ.get("BENCH_CLAIM_SECONDS", 15))
CLAIMS_PER_QUALIFIER = int(os.environ.get("BENCH_CLAIMS_PER_QUALIFIER", 20))
WARMUP = 5
TARGET_MS = 100


def main():
    setup_scratch_django("queue_page", fills="1M demo leads")
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    existing, seeded = seed_demo_up_to(LEADS)
    print(f"{existing:,} leads in {connection.settings_dict['NAME']}{seeded}", flush=True)

    rows, slow = _bench_pages()
    _print_status_counts()
    print_table(
        f"Queue page and lead card, {existing:,} leads, {REQUESTS} requests each (Django test client, DEBUG off)",
        ("page", "as", "rows in view", "queries", "p50 ms", "p95 ms", "max ms", f"p95 < {TARGET_MS} ms"),
        rows,
    )
    print_table("Slowest statements of one request per page (EXPLAIN ANALYZE)", ("page", "ms", "statement"), slow)
    claim_rows, ok = _bench_claims()
    print_table(
        f'"Next lead" with {QUALIFIERS} concurrent qualifiers (threads, one connection each)',
        ("figure", "value"),
        claim_rows,
    )
    return 0 if ok else 1


# --- pages ---------------------------------------------------------------------------------------


def _people():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return User.objects.get(username="qualifier1"), User.objects.get(username="qlead")


def _bench_pages():
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leadflow import access
    from leadflow.models import Lead, LeadStatus
    from qualification import selectors

    qualifier, qlead = _people()
    team_id = access.team_id_of(qualifier)
    clients = {}
    for user in (qualifier, qlead):
        client = Client()
        client.force_login(user)
        clients[user.username] = client
    rng = random.Random(7)
    team_leads = Lead.objects.filter(qualification_team_id=team_id)
    unclaimed = list(
        team_leads.filter(status=LeadStatus.NEW, qualifier__isnull=True).values_list("pk", flat=True)[:2000]
    )
    max_id = team_leads.order_by("-pk").values_list("pk", flat=True).first()
    any_ids = list(
        team_leads.filter(pk__in=[rng.randint(1, max_id) for _ in range(4 * REQUESTS)]).values_list("pk", flat=True)
    )
    queue_size = {
        "qualifier1": selectors.queue_for_user(user=qualifier, team_id=team_id).count(),
        "qlead": selectors.queue_for_user(user=qlead, team_id=team_id).count(),
    }
    scenarios = [
        ("queue /queue/", "qualifier1", lambda: "/queue/", {}, queue_size["qualifier1"]),
        ("queue poll (htmx)", "qualifier1", lambda: "/queue/", {"HTTP_HX_REQUEST": "true"}, queue_size["qualifier1"]),
        ("queue page 10", "qualifier1", lambda: "/queue/?page=10", {}, queue_size["qualifier1"]),
        ("queue search ?q=912", "qualifier1", lambda: "/queue/?q=912", {}, "—"),
        ("queue /queue/", "qlead", lambda: "/queue/", {}, queue_size["qlead"]),
        ("queue poll (htmx)", "qlead", lambda: "/queue/", {"HTTP_HX_REQUEST": "true"}, queue_size["qlead"]),
        ("lead card (unclaimed lead)", "qualifier1", lambda: f"/queue/{rng.choice(unclaimed)}/", {}, "1"),
        ("lead card (any lead of the team)", "qlead", lambda: f"/queue/{rng.choice(any_ids)}/", {}, "1"),
    ]
    rows, slow = [], []
    for label, who, make_url, headers, size in scenarios:
        client = clients[who]
        for _ in range(WARMUP):
            _get(client, make_url(), headers)
        with CaptureQueriesContext(connection) as ctx:
            _get(client, make_url(), headers)
        queries = [q["sql"] for q in ctx.captured_queries]
        timings = []
        for _ in range(REQUESTS):
            url = make_url()
            started = time.perf_counter()
            _get(client, url, headers)
            timings.append(time.perf_counter() - started)
        p95 = percentile(timings, 0.95) * 1000
        rows.append(
            (
                label,
                who,
                f"{size:,}" if isinstance(size, int) else size,
                len(queries),
                f"{statistics.median(timings) * 1000:.1f}",
                f"{p95:.1f}",
                f"{max(timings) * 1000:.1f}",
                "ok" if p95 < TARGET_MS else "MISSED",
            )
        )
        slow += _slowest(f"{label} ({who})", queries)
    return rows, slow


def _get(client, url, headers):
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def _slowest(label, queries, top=2):
    """EXPLAIN ANALYZE every SELECT of one request; the `top` slowest with their execution time."""
    from django.db import connection

    timed = []
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else plan
            timed.append((plan["Execution Time"], sql))
    timed.sort(reverse=True)
    return [(label, f"{ms:.1f}", " ".join(sql.split())[:150]) for ms, sql in timed[:top]]


def _print_status_counts():
    from django.db.models import Count

    from leadflow.models import Lead

    counts = Counter(dict(Lead.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")))
    print("leads by status: " + ", ".join(f"{status} {n:,}" for status, n in counts.most_common()))


# --- next lead -----------------------------------------------------------------------------------


def _bench_claims():
    from django.db import connection
    from django_fsm_log.models import StateLog

    from leadflow import access
    from leadflow.models import Lead
    from qualification import selectors, services

    qualifier, _qlead = _people()
    team_id = access.team_id_of(qualifier)
    users = _bench_qualifiers(team_id)
    bound = QUALIFIERS * CLAIMS_PER_QUALIFIER
    pool = selectors.claimable_leads(team_id=team_id)
    pool_size = pool.count()
    before = dict(pool.values_list("pk", "last_activity_at")[: bound + 1000])
    user_ids = [u.pk for u in users]
    StateLog.objects.filter(by_id__in=user_ids).delete()

    start = threading.Barrier(QUALIFIERS + 1)
    results = {u.pk: [] for u in users}
    failures = []

    def work(user):
        try:
            start.wait()
            deadline = time.perf_counter() + CLAIM_SECONDS
            while len(results[user.pk]) < CLAIMS_PER_QUALIFIER and time.perf_counter() < deadline:
                began = time.perf_counter()
                lead = services.lead_claim_next(actor=user)
                if lead is None:
                    break
                results[user.pk].append((lead.pk, time.perf_counter() - began))
        except Exception as exc:  # reported below: a benchmark must not hide an error
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    claimed = [(uid, pk, seconds) for uid, got in results.items() for pk, seconds in got]
    ids = [pk for _uid, pk, _s in claimed]
    twice = [pk for pk, n in Counter(ids).items() if n > 1]
    holders = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "qualifier_id"))
    wrong_holder = [pk for uid, pk, _s in claimed if holders.get(pk) != uid]
    claim_rows = StateLog.objects.filter(by_id__in=user_ids, transition="claim").count()
    latencies = [s for _uid, _pk, s in claimed]
    _restore_pool(ids, before, user_ids)
    ok = not twice and not wrong_holder and not failures and claim_rows == len(ids)
    rows = [
        ("unclaimed leads in the team's pool", f"{pool_size:,}"),
        ("claims", f"{len(ids):,} in {elapsed:.2f} s"),
        ("claims per second", f"{len(ids) / elapsed:,.0f}"),
        ("latency of one claim, p50 / p95", f"{_ms(latencies, 0.5)} / {_ms(latencies, 0.95)} ms"),
        ("leads claimed twice", f"{len(twice)}"),
        ("leads whose holder is not the claimer", f"{len(wrong_holder)}"),
        ("history rows 'claim' written", f"{claim_rows:,}"),
        ("errors in the threads", f"{len(failures)}" + (f" (first: {failures[0][:120]})" if failures else "")),
        ("verdict", "ok: every lead claimed once" if ok else "FAILED"),
    ]
    return rows, ok


def _ms(values, share):
    return f"{percentile(values, share) * 1000:.1f}" if values else "—"


def _bench_qualifiers(team_id):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from leadflow import roles
    from leadflow.models import Profile

    User = get_user_model()
    group = Group.objects.get(name=roles.QUALIFIER)
    users = []
    for n in range(QUALIFIERS):
        user, _ = User.objects.update_or_create(
            username=f"perf_q{n:02d}", defaults={"first_name": "Perf", "last_name": f"Q{n:02d}", "is_active": True}
        )
        user.groups.add(group)
        Profile.objects.update_or_create(user=user, defaults={"team_id": team_id, "is_available": True})
        users.append(user)
    return users


def _restore_pool(ids, before, user_ids):
    from django.contrib.auth import get_user_model

    """Put the claimed leads back into the pool as they were, drop the bench qualifiers' history and
    deactivate them (so they do not show in the team lead's strip when the pages are measured next time)."""
    from django.db import transaction
    from django_fsm_log.models import StateLog

    from leadflow.models import Lead, LeadStatus

    with transaction.atomic():
        for pk in ids:
            Lead.objects.filter(pk=pk).update(
                status=LeadStatus.NEW, qualifier=None, claimed_at=None, last_activity_at=before.get(pk)
            )
        StateLog.objects.filter(by_id__in=user_ids).delete()
        get_user_model().objects.filter(pk__in=user_ids).update(is_active=False)


if __name__ == "__main__":
    sys.exit(main())
