"""The Python CPU of one request per page of the qualifier's workspace (issue 14 §2): the queue and the lead
card as bench/queue_page.py requests them (same URLs, same demo users `qualifier1` and `qlead`, Django test
client in-process, DEBUG off), each measured with `time.process_time()`, min / median / max over
BENCH_PAGE_CPU_REQUESTS requests (default 50) after 5 warm-up requests. The reference, in the same run:
`GET /bench/minimal-page/` (bench/minimal_urls.py), the floor every page pays (session, user, roles, the
middleware, the context processors, an empty base.html) as the same user.

    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_bench_c1m .venv/bin/python bench/queue_page_cpu.py

Runs after queue_page in `make bench` and reads its demo data (no seeding, no ANALYZE: process CPU hardly
depends on the table size or the plans). It writes only the sessions of its two logins. Targets (the CPU
that left the card's p95 at 90-100 ms and the team lead's queue at 107-125 ms at 1M leads, 2026-11-30):
card ≤ 30 ms, the team lead's queue ≤ 60 ms, by the minimum (the request's own cost, not its neighbours').
BENCH_CODE=/path/to/another/checkout measures that checkout's code against the same database (before and
after a change): its apps go first on the import path, bench/ stays this checkout's.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("BENCH_CODE") or ROOT)
sys.path.insert(0, str(ROOT))

from bench._common import print_table, require_postgres, summary  # noqa: E402  (bench/ of this checkout)

if CODE != ROOT:  # the apps of BENCH_CODE's checkout (its directory also as the working directory: an
    os.chdir(CODE)  # import on the way puts the working directory first on the path)
    sys.path.insert(0, str(CODE))

REQUESTS = int(os.environ.get("BENCH_PAGE_CPU_REQUESTS", 50))
WARMUP = 5
TARGETS_MS = {("lead card (unclaimed lead)", "qualifier1"): 30, ("lead card (any lead of the team)", "qlead"): 30}
TARGETS_MS[("queue /queue/", "qlead")] = 60


def main():
    require_postgres("queue_page_cpu")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    if get_user_model().objects.filter(username__in=["qualifier1", "qlead"]).count() != 2:
        print("queue_page_cpu: no demo users here: run bench/queue_page.py (or manage.py seed_demo) first.")
        return 2
    rows, ok = _measure()
    print_table(
        f"Python CPU per request (process_time, ms), {REQUESTS} requests each after {WARMUP} warm-up; code: {CODE}",
        ("page", "as", "queries", "min", "median", "max", "× floor (min)", "target (min)"),
        rows,
    )
    return 0 if ok else 1


def _scenarios(team_id):
    from leadflow.models import Lead, LeadStatus

    rng = random.Random(7)
    team_leads = Lead.objects.filter(qualification_team_id=team_id)
    unclaimed = list(
        team_leads.filter(status=LeadStatus.NEW, qualifier__isnull=True).values_list("pk", flat=True)[:2000]
    )
    max_id = team_leads.order_by("-pk").values_list("pk", flat=True).first()
    any_ids = list(
        team_leads.filter(pk__in=[rng.randint(1, max_id) for _ in range(4 * REQUESTS)]).values_list("pk", flat=True)
    )
    poll = {"HTTP_HX_REQUEST": "true"}
    return [
        ("floor: /bench/minimal-page/", "qualifier1", lambda: "/bench/minimal-page/", {}),
        ("floor: /bench/minimal-page/", "qlead", lambda: "/bench/minimal-page/", {}),
        ("queue /queue/", "qualifier1", lambda: "/queue/", {}),
        ("queue poll (htmx)", "qualifier1", lambda: "/queue/", poll),
        ("queue page 10", "qualifier1", lambda: "/queue/?page=10", {}),
        ("queue search ?q=912", "qualifier1", lambda: "/queue/?q=912", {}),
        ("queue /queue/", "qlead", lambda: "/queue/", {}),
        ("queue poll (htmx)", "qlead", lambda: "/queue/", poll),
        ("lead card (unclaimed lead)", "qualifier1", lambda: f"/queue/{rng.choice(unclaimed)}/", {}),
        ("lead card (any lead of the team)", "qlead", lambda: f"/queue/{rng.choice(any_ids)}/", {}),
    ]


def _measure():
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from leadflow import access

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["qualifier1", "qlead"])}
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    rows, floor, ok = [], {}, True
    for label, who, make_url, headers in _scenarios(access.team_id_of(users["qualifier1"])):
        client = clients[who]
        for _ in range(WARMUP):
            _get(client, make_url(), headers)
        statements = []

        def count(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            _get(client, make_url(), headers)
        cpu = []
        for _ in range(REQUESTS):
            url = make_url()
            started = time.process_time()
            _get(client, url, headers)
            cpu.append((time.process_time() - started) * 1000)
        low = min(cpu)
        if label.startswith("floor"):
            floor[who] = low
        target = TARGETS_MS.get((label, who))
        met = None if target is None else low <= target
        ok &= met is not False
        rows.append(
            (
                label,
                who,
                len(statements),
                f"{low:.1f}",
                f"{statistics.median(cpu):.1f}",
                f"{max(cpu):.1f}",
                f"{low / floor[who]:.1f}×",
                "" if target is None else f"≤ {target} ms: " + ("ok" if met else "MISSED"),
            )
        )
        if target is not None:
            summary(
                f"CPU per request: {label} ({who})",
                f"{low:.1f} / {statistics.median(cpu):.1f} / {max(cpu):.1f} ms (min / median / max)",
                reference=f"minimal page {floor[who]:.1f} ms",
                ratio=f"{low / floor[who]:.1f}×",
                target=f"≤ {target} ms (min)",
                met=met,
            )
    return rows, ok


def _get(client, url, headers):
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


if __name__ == "__main__":
    sys.exit(main())
