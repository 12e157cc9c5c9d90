"""The qualifier's workspace on a big database: queue page and lead card p50/p95 with 1,000,000 leads, and
"Next lead" claims per second with 50 concurrent qualifiers against a hand-written SKIP LOCKED + UPDATE
(targets: queue p95 < 100 ms, card p95 < 50 ms, in both statistics states; claims ≥ 0.5× the reference).

    psql -h 127.0.0.1 -U postgres -c "create database leadflow_perf_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_perf_bench .venv/bin/python bench/queue_page.py

The database must be PostgreSQL with "bench" in its name. When it has fewer than BENCH_QUEUE_LEADS
leads (default 1,000,000) it is filled with `manage.py seed_demo --leads N --no-analyze` (COPY, ~7 min
for 1M on 2 cores); otherwise the leads already there are reused. Every page is measured twice: first
with the planner's statistics as the bulk load left them (no ANALYZE by us: whatever autovacuum did
meanwhile; a reused database is measured as found, and the run prints when its tables were last
analysed: drop and create the database for the state of a fresh install loaded in bulk), then after
`ANALYZE` of the whole database. Pages are requested
in-process with the Django test client (middleware, view, selectors, templates; DEBUG off via bench/settings_bench.py)
as the demo qualifier `qualifier1` and the qualification lead `qlead`: BENCH_QUEUE_REQUESTS timed
requests per row (default 100) after 5 warm-up requests.

Claims: BENCH_QUALIFIERS threads (default 50), each a qualifier of the team with its own database
connection, press "Next lead" (qualification.services.lead_claim_next: real transactions, SELECT …
FOR UPDATE SKIP LOCKED) until BENCH_CLAIM_SECONDS (default 15) or BENCH_CLAIMS_PER_QUALIFIER (default
20) claims each. No lead may be claimed twice; afterwards the claimed leads are put back into the pool
and the bench qualifiers' history rows removed, so the next run finds the same pool. The reference, in
the same run and the same way (50 threads, one connection each): one hand-written statement per claim,
`UPDATE leadflow_lead SET status, qualifier … WHERE id = (<the app's pick, queue order> FOR UPDATE SKIP
LOCKED) RETURNING id` in autocommit, its SQL compiled once (no ORM, no history row, no checks).
BENCH_CLAIM_ROUNDS (default 3) rounds alternate reference / app; min / median / max over the rounds.
BENCH_QUEUE_PARTS (default "pages,claims") runs only some parts.
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

from bench._common import percentile, print_table, seed_demo_up_to, setup_scratch_django, summary  # noqa: E402

LEADS = int(os.environ.get("BENCH_QUEUE_LEADS", 1_000_000))
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", 100))
QUALIFIERS = int(os.environ.get("BENCH_QUALIFIERS", 50))
CLAIM_SECONDS = float(os.environ.get("BENCH_CLAIM_SECONDS", 15))
CLAIMS_PER_QUALIFIER = int(os.environ.get("BENCH_CLAIMS_PER_QUALIFIER", 20))
CLAIM_ROUNDS = int(os.environ.get("BENCH_CLAIM_ROUNDS", 3))
PARTS = set(os.environ.get("BENCH_QUEUE_PARTS", "pages,claims").split(","))
WARMUP = 5
TARGET_MS = 100  # queue pages
CARD_TARGET_MS = 50  # lead card
CLAIM_TARGET = 0.5  # "Next lead" claims/s ÷ the hand-written reference's


def main():
    setup_scratch_django("queue_page", fills="1M demo leads")
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    existing, seeded = seed_demo_up_to(LEADS, analyze=None)  # "as loaded": the bulk load's statistics
    print(f"{existing:,} leads in {connection.settings_dict['NAME']}{seeded}", flush=True)
    if seeded:
        summary(f"seed_demo --leads {LEADS:,} --no-analyze (COPY)", seeded.removeprefix(", seeded in "))
    ok = True
    if "pages" in PARTS:
        ok &= _pages_in_both_states(existing, first="as loaded" if seeded else "as found")
    if "claims" in PARTS:
        claim_rows, claims_ok = _bench_claims()
        print_table(
            f'"Next lead" with {QUALIFIERS} concurrent qualifiers (threads, one connection each), '
            f"{CLAIM_ROUNDS} rounds, reference in the same run",
            ("figure", "min", "median", "max", "target"),
            claim_rows,
        )
        ok &= claims_ok
    return 0 if ok else 1


def _pages_in_both_states(existing, *, first):
    from django.db import connection

    _print_status_counts()
    all_rows, slow = [], []
    for state in (first, "analysed"):  # "as loaded" only when this run seeded: a reused database is "as found"
        if state == "analysed":
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"ANALYZE (the whole database): {time.perf_counter() - started:.1f} s", flush=True)
        else:
            print("statistics as found: " + _last_analyzed(connection), flush=True)
        rows, state_slow = _bench_pages()
        all_rows += [(state, *row) for row in rows]
        for label, who, *_, p50, p95, _max, verdict in rows:
            summary(
                f"{label} ({who}), {existing:,} leads, statistics {state}",
                f"p95 {p95} ms (p50 {p50})",
                target=verdict.split(":")[0],
                met=not verdict.endswith("MISSED"),
            )
        slow += [(state, *row) for row in state_slow]
    print_table(
        f"Queue page and lead card, {existing:,} leads, {REQUESTS} requests each (Django test client, DEBUG off)",
        (
            "statistics",
            "page",
            "as",
            "rows in view",
            "queries",
            "SQL ms",
            "CPU ms",
            "p50 ms",
            "p95 ms",
            "max ms",
            "target p95",
        ),
        all_rows,
    )
    print_table(
        "Slowest statements of one request per page (EXPLAIN ANALYZE)", ("statistics", "page", "ms", "statement"), slow
    )
    return all(not row[-1].endswith("MISSED") for row in all_rows)


def _last_analyzed(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, last_analyze, last_autoanalyze, n_mod_since_analyze FROM pg_stat_user_tables "
            "WHERE relname IN ('leadflow_lead', 'django_fsm_log_statelog') ORDER BY relname"
        )
        return "; ".join(
            f"{name}: ANALYZE {manual or 'never'}, autovacuum {auto or 'never'}, {changed:,} rows changed since"
            for name, manual, auto, changed in cursor.fetchall()
        )


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
        timings, cpu = [], []
        for _ in range(REQUESTS):
            url = make_url()
            started, cpu_started = time.perf_counter(), time.process_time()
            _get(client, url, headers)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        p95 = percentile(timings, 0.95) * 1000
        target = CARD_TARGET_MS if label.startswith("lead card") else TARGET_MS
        slowest, sql_ms = _slowest(f"{label} ({who})", queries)
        slow += slowest
        rows.append(
            (
                label,
                who,
                f"{size:,}" if isinstance(size, int) else size,
                len(queries),
                f"{sql_ms:.1f}",
                f"{statistics.median(cpu) * 1000:.1f}",
                f"{statistics.median(timings) * 1000:.1f}",
                f"{p95:.1f}",
                f"{max(timings) * 1000:.1f}",
                f"< {target} ms: " + ("ok" if p95 < target else "MISSED"),
            )
        )
    return rows, slow


def _get(client, url, headers):
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def _slowest(label, queries, top=2):
    """EXPLAIN ANALYZE every SELECT of one request: the `top` slowest with their execution time, and the
    sum (the database's share of a request). With "CPU ms" (the median of the process's CPU time per
    request: Django, templates, the driver) it is what a page costs whatever the neighbours' load;
    the wall-clock percentiles add the waiting for a core."""
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
    return [(label, f"{ms:.1f}", " ".join(sql.split())[:150]) for ms, sql in timed[:top]], sum(ms for ms, _ in timed)


def _print_status_counts():
    from django.db.models import Count

    from leadflow.models import Lead

    counts = Counter(dict(Lead.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")))
    print("leads by status: " + ", ".join(f"{status} {n:,}" for status, n in counts.most_common()))


# --- next lead -----------------------------------------------------------------------------------


def _bench_claims():
    from django_fsm_log.models import StateLog

    from leadflow import access
    from leadflow.models import Lead
    from qualification import selectors, services

    qualifier, _qlead = _people()
    team_id = access.team_id_of(qualifier)
    users = _bench_qualifiers(team_id)
    bound = QUALIFIERS * CLAIMS_PER_QUALIFIER
    pool = selectors.claimable_leads(team_id=team_id)
    added = _fill_pool(team_id, wanted=bound + 500 - pool.count())
    pool_size = pool.count()
    before = dict(pool.values_list("pk", "last_activity_at")[: bound + 1000])
    user_ids = [u.pk for u in users]
    StateLog.objects.filter(by_id__in=user_ids).delete()
    reference = _reference_claim(team_id)

    rates = {"reference": [], "app": []}
    ratios, latencies, problems = [], [], Counter()
    for _round in range(CLAIM_ROUNDS):
        for kind in ("reference", "app"):
            claim = reference if kind == "reference" else (lambda user: services.lead_claim_next(actor=user))
            claimed, elapsed, failures = _claim_threads(users, claim)
            ids = [pk for _uid, pk, _s in claimed]
            rates[kind].append(len(ids) / elapsed)
            problems["errors"] += len(failures)
            problems["claimed twice"] += sum(1 for n in Counter(ids).values() if n > 1)
            if kind == "app":
                holders = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "qualifier_id"))
                problems["holder is not the claimer"] += sum(1 for uid, pk, _s in claimed if holders.get(pk) != uid)
                history = StateLog.objects.filter(by_id__in=user_ids, transition="claim").count()
                problems["claims without one history row"] += abs(history - len(ids))
                latencies += [seconds for _uid, _pk, seconds in claimed]
                ratios.append(rates["app"][-1] / rates["reference"][-1])
            if failures:
                print(f"{kind}: {len(failures)} errors, first: {failures[0][:300]}", flush=True)
            _restore_pool(ids, before, user_ids)
    _deactivate(user_ids)
    Lead.objects.filter(pk__in=added).delete()
    ok = not sum(problems.values()) and min(ratios) >= CLAIM_TARGET
    summary(
        f'"Next lead", {QUALIFIERS} qualifiers, {CLAIM_ROUNDS} rounds (min / median / max)',
        " / ".join(f"{v:,.0f}" for v in _min_med_max(rates["app"])) + " claims/s",
        reference="SKIP LOCKED + UPDATE " + " / ".join(f"{v:,.0f}" for v in _min_med_max(rates["reference"])),
        ratio=" / ".join(f"{v:.2f}" for v in _min_med_max(ratios)) + "×",
        target=f"≥ {CLAIM_TARGET}× every round, no lead claimed twice",
        met=ok,
    )

    def spread(values, fmt="{:,.0f}"):
        return [fmt.format(min(values)), fmt.format(statistics.median(values)), fmt.format(max(values))]

    rows = [
        ("unclaimed leads in the team's pool", f"{pool_size:,} ({len(added):,} added by the bench)", "", "", ""),
        ("reference: SKIP LOCKED + UPDATE, claims/s", *spread(rates["reference"]), ""),
        ('app: "Next lead" (lead_claim_next), claims/s', *spread(rates["app"]), ""),
        ("app / reference (within each round)", *spread(ratios, "{:.2f}×"), f"≥ {CLAIM_TARGET}×"),
        ("app: one claim p50 / p95 ms (all rounds)", f"{_ms(latencies, 0.5)} / {_ms(latencies, 0.95)}", "", "", ""),
    ]
    rows += [(f"app: {name}", str(problems[name]), "", "", "0") for name in _PROBLEMS]
    rows.append(("verdict", "ok" if ok else "FAILED", "", "", ""))
    return rows, ok


def _min_med_max(values):
    return min(values), statistics.median(values), max(values)


def _fill_pool(team_id, *, wanted):
    """The demo's pool of unclaimed leads depends on the hour it was seeded (25 at 10:30 Moscow, 1,419 in
    the evening): top it up with fresh new leads (received in the last hours, SLA clock running) so
    every round has more leads than claims; they are deleted at the end. Returns their ids."""
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.models import Lead, Source

    if wanted <= 0:
        return []
    now = timezone.now()
    source = Source.objects.get(code="website")
    leads = Lead.objects.bulk_create(
        Lead(
            source=source,
            qualification_team_id=team_id,
            phone=f"+7999{n:07d}",
            name=f"Пул {n}",
            external_id=f"bench-pool-{n}",
            received_at=now - timedelta(seconds=10 * n),
            sla_warn_at=now - timedelta(seconds=10 * n) + timedelta(minutes=15),
            sla_breach_at=now - timedelta(seconds=10 * n) + timedelta(minutes=20),
        )
        for n in range(wanted)
    )
    return [lead.pk for lead in leads]


_PROBLEMS = ("errors", "claimed twice", "holder is not the claimer", "claims without one history row")


def _claim_threads(users, claim):
    """Every user in its own thread and connection calls `claim(user)` (→ a lead or its id, None when the
    pool is empty) until CLAIM_SECONDS or CLAIMS_PER_QUALIFIER claims; (user id, lead id, s) per claim."""
    from django.db import connection

    start = threading.Barrier(len(users) + 1)
    results = {u.pk: [] for u in users}
    failures = []

    def work(user):
        try:
            start.wait()
            deadline = time.perf_counter() + CLAIM_SECONDS
            while len(results[user.pk]) < CLAIMS_PER_QUALIFIER and time.perf_counter() < deadline:
                began = time.perf_counter()
                lead = claim(user)
                if lead is None:
                    break
                results[user.pk].append((getattr(lead, "pk", lead), time.perf_counter() - began))
        except Exception as exc:  # reported: a benchmark must not hide an error
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
    return [(uid, pk, seconds) for uid, got in results.items() for pk, seconds in got], elapsed, failures


def _reference_claim(team_id):
    """The hand-written claim: one UPDATE around the app's own pick (same WHERE, same queue order, SKIP
    LOCKED), its SQL compiled once with the time of the run, in autocommit; no history, no checks."""
    from django.db import connection, transaction

    from leadflow.models import LeadStatus
    from qualification import selectors

    with transaction.atomic():
        pick = (
            selectors.claimable_leads(team_id=team_id)
            .select_for_update(skip_locked=True, of=("self",))
            .values("pk")[:1]
        )
        pick_sql, pick_params = pick.query.sql_with_params()
    sql = (
        "UPDATE leadflow_lead SET status = %s, qualifier_id = %s, claimed_at = now(), last_activity_at = now(), "
        f"updated_at = now() WHERE id = ({pick_sql}) RETURNING id"
    )

    def claim(user):
        with connection.cursor() as cursor:
            cursor.execute(sql, [LeadStatus.QUALIFYING.value, user.pk, *pick_params])
            row = cursor.fetchone()
        return row[0] if row else None

    return claim


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
    """Put the claimed leads back into the pool as they were and drop the bench qualifiers' history."""
    from django.db import transaction
    from django_fsm_log.models import StateLog

    from leadflow.models import Lead, LeadStatus

    with transaction.atomic():
        for pk in ids:
            Lead.objects.filter(pk=pk).update(
                status=LeadStatus.NEW, qualifier=None, claimed_at=None, last_activity_at=before.get(pk)
            )
        StateLog.objects.filter(by_id__in=user_ids).delete()


def _deactivate(user_ids):
    """The bench qualifiers stop showing in the team lead's strip when the pages are measured next time."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk__in=user_ids).update(is_active=False)


if __name__ == "__main__":
    sys.exit(main())
