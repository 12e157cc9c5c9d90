"""Intake under load: `POST /api/v1/leads/` on gunicorn with concurrent clients, beside a minimal Django
endpoint that inserts one row into the same database, in the same run. The ratio is the figure
(target: intake ≥ 0.5× the minimal endpoint's requests per second).

    apt-get install wrk        # the load tool (Debian package), once
    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_perf .venv/bin/python bench/intake_load.py

Starts gunicorn on 127.0.0.1 (first free port of 8400-8499, BENCH_PORT to pick one) with
BENCH_WORKERS sync workers (default 4) and bench/settings_bench.py (the app's settings from the
environment, DEBUG off, plus the bench-only route `/bench/minimal-insert/`), migrates the database,
creates an intake token, then runs rounds of wrk on loopback (BENCH_ROUNDS, default 2; BENCH_SECONDS
per endpoint and round, default 20; BENCH_CONNECTIONS, default 16) after a short warm-up of each, and
one last round with a single connection (the cost of one request without queueing, 10 s each).
A round interleaves the two endpoints in slices (BENCH_SLICES per endpoint, default 5: minimal, intake,
intake, minimal, minimal, intake…), so both meet the same moments of a shared machine whose speed
changes within a minute; a round's figures are its slices' sums (latency: the median slice's p50, the
worst slice's p95 and p99). BENCH_SLICES=1 gives the former rounds, one block of each.
Before each round intake's tables are analysed, as autovacuum keeps them (BENCH_STATISTICS=as-loaded
leaves their statistics as the database had them: a database seeded with `seed_demo --no-analyze`).
Every intake request is a new lead (unique phone and external_id), so each is the full path:
validation, phone lock, duplicate checks, lead + inquiry + history rows, SLA deadlines (and, with
SLA_CHECK_MESSAGES=true, two broker publishes after commit: BENCH_BROKER_URL, default
redis://127.0.0.1:6379/12, purged afterwards; off by default since issue 14, the sweep runs the checks).
The run's leads are deleted at the end (BENCH_KEEP_LEADS=1 keeps them), so a database shared with
bench/queue_page.py keeps its queue as seeded.

Besides rate and latency, each round shows the CPU time per request of the gunicorn workers ("app")
and of their PostgreSQL backends ("db"), read from /proc: they depend less than the rates on what else
the shared machine runs meanwhile, though a slow phase of the host shows in them too (up to +40 %).
(The backends are those connected to the database when the round starts: the workers keep theirs,
CONN_MAX_AGE; another client of the same database would count too.)
"""

import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    child_pids,
    cpu_delta,
    cpu_seconds,
    free_port,
    print_table,
    require_postgres,
    summary,
    wait_for_port,
)

HOST = "127.0.0.1"
WORKERS = int(os.environ.get("BENCH_WORKERS", 4))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
SECONDS = int(os.environ.get("BENCH_SECONDS", 20))
SLICES = max(1, int(os.environ.get("BENCH_SLICES", 5)))
# "analysed" (default): the planner's statistics of intake's tables refreshed before each round, as
# autovacuum keeps them; "as-loaded": left as the database had them (after `seed_demo --no-analyze`: none)
STATISTICS = os.environ.get("BENCH_STATISTICS", "analysed")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 16))
SERIAL_SECONDS = 10
WARMUP_SECONDS = 3
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
INTAKE_PATH = "/api/v1/leads/"
MINIMAL_PATH = "/bench/minimal-insert/"
RUN_ID = secrets.token_hex(4)
_nonce = random.randrange(1000)  # phone block of the next wrk call


def main():
    database_url = require_postgres("intake_load")
    if STATISTICS not in ("analysed", "as-loaded"):
        print(f"intake_load: BENCH_STATISTICS is 'analysed' or 'as-loaded', not {STATISTICS!r}")
        return 2
    wrk = shutil.which("wrk")
    if wrk is None:
        print("intake_load: refusing to run: the load tool `wrk` is missing (Debian: `apt-get install wrk`).")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.minimal_urls import TABLE, minimal_table_reset
    from leadflow.models import Lead, Source
    from leadflow.services import api_token_issue

    call_command("migrate", verbosity=0)
    minimal_table_reset()
    token = api_token_issue(source=Source.objects.get(code="website"), name="bench intake_load")
    leads_before = Lead.objects.count()
    connection.close()

    port = int(os.environ.get("BENCH_PORT") or free_port(8400, 8500))
    server = _start_gunicorn(port, database_url)
    rows, totals = [], {"minimal": [0, 0.0], "intake": [0, 0.0]}
    non_2xx = 0
    serial = {}
    per_round = {"minimal": [], "intake": []}  # req/s of each loaded round: the ratio is taken within a round
    try:
        wait_for_port(HOST, port, timeout=60, process=server)
        for path in (MINIMAL_PATH, INTAKE_PATH):
            _wrk(wrk, port, path, token.key, WARMUP_SECONDS, connections=4)
        # rounds under load, then one round with a single connection (the cost of one request, no queueing)
        plan = [(n, CONNECTIONS, SECONDS) for n in range(1, ROUNDS + 1)] + [("1 conn", 1, SERIAL_SECONDS)]
        for round_no, connections, seconds_wanted in plan:
            _analyze(TABLE)
            measured = _round(wrk, port, token.key, server, connections, seconds_wanted)
            for label in ("minimal", "intake"):
                got = measured[label]
                seconds = got["duration_us"] / 1e6
                non_2xx += got["errors"]
                if connections == CONNECTIONS:
                    totals[label][0] += got["requests"]
                    totals[label][1] += seconds
                    per_round[label].append(got["requests"] / seconds)
                else:
                    serial[label] = got["requests"] / seconds
                rows.append(
                    (
                        label,
                        round_no,
                        connections,
                        f"{got['requests']:,}",
                        f"{got['requests'] / seconds:,.0f}",
                        f"{_median(got['p50']) / 1000:.1f}",
                        f"{max(got['p95']) / 1000:.1f}",
                        f"{max(got['p99']) / 1000:.1f}",
                        f"{1000 * got['app_cpu'] / max(got['requests'], 1):.2f}",
                        f"{1000 * got['db_cpu'] / max(got['requests'], 1):.2f}",
                        got["errors"],
                    )
                )
    finally:
        _stop(server)

    leads_created = Lead.objects.count() - leads_before
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        (minimal_rows,) = cursor.fetchone()
    from leadflow.models import SecurityEvent

    SecurityEvent.objects.filter(token=token).delete()  # a bench database: its log goes with its token
    token.delete()
    if os.environ.get("BENCH_KEEP_LEADS") != "1":
        _delete_run_leads()
    _purge_broker()
    rate = {label: count / seconds for label, (count, seconds) in totals.items()}  # the loaded rounds
    ratio = rate["intake"] / rate["minimal"] if rate["minimal"] else float("nan")
    header = ("endpoint", "round", "connections", "requests", "req/s", "p50 ms", "p95 ms*", "p99 ms*")
    header += ("app CPU ms/req", "db CPU ms/req", "errors/non-2xx")
    print_table(
        f"Intake under load: gunicorn {WORKERS} sync workers on {HOST}:{port}, wrk {CONNECTIONS} connections, "
        f"{SECONDS} s per endpoint and round in {SLICES} interleaved slices, "
        f"PostgreSQL {connection.settings_dict['NAME']}, statistics {STATISTICS}",
        header,
        rows,
    )
    print("(* the worst slice's; p50 the median slice's)")
    ratios = sorted(i / m for i, m in zip(per_round["intake"], per_round["minimal"], strict=True) if m)
    summary(
        f"intake POST /api/v1/leads/, {CONNECTIONS} connections, {ROUNDS} rounds, statistics {STATISTICS}",
        _spread(per_round["intake"]) + " leads/s",
        reference="minimal endpoint " + _spread(per_round["minimal"]) + " req/s",
        ratio=" / ".join(f"{r:.2f}" for r in (ratios[0], ratios[len(ratios) // 2], ratios[-1])) + "×",
        target="≥ 0.5× every round",
        met=bool(ratios) and ratios[0] >= 0.5 and non_2xx == 0,
    )
    lines = [
        ("minimal endpoint (one INSERT)", f"{rate['minimal']:,.0f} req/s"),
        ("intake POST /api/v1/leads/", f"{rate['intake']:,.0f} leads/s"),
        ("ratio intake / minimal", f"{ratio:.2f}× (target ≥ 0.5×: {'met' if ratio >= 0.5 else 'MISSED'})"),
        (
            "ratio with 1 connection",
            f"{serial['intake'] / serial['minimal']:.2f}× ({serial['intake']:,.0f} vs {serial['minimal']:,.0f} req/s)",
        ),
        ("new leads in the database", f"{leads_created:,} (incl. warm-up; wrk counted {totals['intake'][0]:,} timed)"),
        ("rows inserted by the minimal endpoint", f"{minimal_rows:,} (incl. warm-up)"),
        ("errors + non-2xx answers", f"{non_2xx:,}"),
    ]
    print_table("Summary", ("figure", "value"), lines)
    return 0 if non_2xx == 0 else 1


def _round(wrk, port, token, server, connections, seconds):
    """Both endpoints for `seconds` each, in SLICES slices taken in turns (minimal, intake, intake, minimal,
    …: the endpoint that goes first changes every slice): a ratio taken within the round then compares the two
    over the same stretch of time, not a minimal block against the intake block after it on a machine
    whose speed moved in between. Per endpoint: the slices' requests, duration, errors and CPU summed,
    their latency percentiles listed."""
    slice_seconds = max(1, round(seconds / SLICES))
    endpoints = (("minimal", MINIMAL_PATH), ("intake", INTAKE_PATH))
    measured = {
        label: {"requests": 0, "duration_us": 0, "errors": 0, "app_cpu": 0.0, "db_cpu": 0.0}
        | {"p50": [], "p95": [], "p99": []}
        for label, _ in endpoints
    }
    for slice_no in range(SLICES):
        for label, path in endpoints if slice_no % 2 == 0 else endpoints[::-1]:
            workers, backends = child_pids(server.pid), _backend_pids()
            app_before, db_before = cpu_seconds(workers), cpu_seconds(backends)
            result = _wrk(wrk, port, path, token, slice_seconds, connections=connections)
            got = measured[label]
            got["app_cpu"] += cpu_delta(app_before, cpu_seconds(set(workers) | set(child_pids(server.pid))))
            got["db_cpu"] += cpu_delta(db_before, cpu_seconds(set(backends) | set(_backend_pids())))
            got["requests"] += result["requests"]
            got["duration_us"] += result["duration_us"]
            got["errors"] += result["status"] + sum(result[k] for k in ("connect", "read", "write", "timeout"))
            for key in ("p50", "p95", "p99"):
                got[key].append(result[key])
    return measured


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _spread(values):
    """min / median / max, as the summary table shows every figure measured over rounds."""
    ordered = sorted(values)
    return " / ".join(f"{v:,.0f}" for v in (ordered[0], ordered[len(ordered) // 2], ordered[-1]))


def _start_gunicorn(port, database_url):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CELERY_BROKER_URL=BROKER_URL,
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="600",  # one backend per worker for the whole run, so its CPU can be read
        PYTHONPATH=str(ROOT),
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "leadflow.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={WORKERS}",
        "--worker-class=sync",
        "--backlog=256",
        "--log-level=warning",
        "--timeout=30",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _analyze(minimal_table):
    """What autovacuum's ANALYZE does on a production server (after 50 rows + 10 % of a table changed)
    and this development server, with autovacuum off, never does: fresh statistics for the tables intake
    and the minimal endpoint fill. Without them every backend keeps the plans it made when the tables
    were empty (sequential scans: the foreign-key check of each inquiry's lead, intake's prepared
    statement), and both endpoints get slower round after round as the tables grow (docs/performance.md).
    With BENCH_STATISTICS=as-loaded only the yardstick's own table is analysed: intake's tables keep the
    statistics they had (none after `seed_demo --no-analyze`)."""
    from django.db import connection

    tables = [minimal_table]
    if STATISTICS == "analysed":
        tables = ["leadflow_lead", "leadflow_inquiry", "django_fsm_log_statelog", *tables]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")
    connection.close()


def _backend_pids():
    """PostgreSQL backends of the bench server's workers (persistent connections: CONN_MAX_AGE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    connection.close()
    return pids


def _stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wrk(wrk, port, path, token, seconds, *, connections):
    global _nonce
    _nonce = (_nonce + 1) % 1000
    command = [
        wrk,
        f"--threads={min(2, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={HERE / 'wrk_intake.lua'}",
        f"http://{HOST}:{port}{path}",
        "--",
        token,
        str(_nonce),
        RUN_ID,
    ]
    started = time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next((ln for ln in reversed(output.splitlines()) if ln.startswith("{")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary after {time.monotonic() - started:.0f} s:\n{output}")
    return json.loads(line)


def _delete_run_leads(prefix=None):
    """Delete the leads this run created (external_id bench-<RUN_ID>-…), their inquiries and history, and the
    run's inquiries that were attached to an older open lead of the same phone (that lead stays)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django_fsm_log.models import StateLog

    from leadflow.models import Inquiry, Lead

    prefix = prefix or f"bench-{RUN_ID}-"
    ids = list(Lead.objects.filter(external_id__startswith=prefix).values_list("pk", flat=True))
    content_type = ContentType.objects.get_for_model(Lead)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        with transaction.atomic():
            StateLog.objects.filter(content_type=content_type, object_id__in=chunk).delete()
            Inquiry.objects.filter(lead_id__in=chunk).delete()  # PROTECT on Lead
            Lead.objects.filter(pk__in=chunk).delete()
    Inquiry.objects.filter(external_id__startswith=prefix).delete()
    _vacuum()


def _vacuum():
    """VACUUM the tables a run filled and emptied again, as autovacuum would (off on this development
    server): otherwise every run leaves ~35,000 dead leads, inquiries and history rows, the next run's
    phone and delivery lookups step over them (bench phones repeat across runs), and intake's database
    CPU per lead grows run after run (0.62–0.73 → 0.84–0.90 ms over five runs on one database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        analyse = "(ANALYZE) " if STATISTICS == "analysed" else ""  # as loaded: the statistics stay as they were
        cursor.execute(f"VACUUM {analyse}leadflow_lead, leadflow_inquiry, django_fsm_log_statelog")


def _purge_broker():
    """Drop the SLA messages that intake published (they would fire against bench leads later)."""
    from kombu import Connection

    try:
        with Connection(BROKER_URL, connect_timeout=2) as conn:
            conn.default_channel.queue_purge("celery")
    except Exception as exc:  # a broker that is down had nothing published to it
        print(f"(broker not purged: {exc})")


if __name__ == "__main__":
    sys.exit(main())
