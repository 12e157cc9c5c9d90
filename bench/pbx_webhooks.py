"""PBX notifications under load: our generic JSON webhook (POST /api/v1/calls/), Mango Office and Zadarma
events on gunicorn beside the minimal insert endpoint (bench/minimal_urls.py), in the same run. Figures:
each adapter's events per second against the minimal endpoint's (min / median / max over the rounds and
the ratio of the medians), and the p95 of one event (target: under 50 ms with one connection).

    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_perf .venv/bin/python bench/pbx_webhooks.py

Starts gunicorn on 127.0.0.1 (BENCH_WORKERS sync workers, default 2) with bench/settings_bench.py, seeds
BENCH_LEADS open leads (default 300), a telephony API token and one account per provider, then
alternates rounds — minimal, generic, mango, zadarma — with BENCH_CONNECTIONS client threads (default 8,
keep-alive, BENCH_SECONDS each, default 8; BENCH_ROUNDS, default 3), and one last round of each with a
single connection. Every generic call is one JSON event (the PBX posts the finished call, token auth),
every Mango call five signed notifications (Appeared, Connected, Disconnected, summary, recording) and
every Zadarma call three (NOTIFY_OUT_START, NOTIFY_OUT_END, NOTIFY_RECORD), with fresh timestamps: each
call ends in one call attempt on its lead, the full path. The clients sign in Python (as the PBX
would) for both providers and send the minimal endpoint a JSON body: the same client cost for all.
The run's leads, calls and accounts are deleted at the end, its token revoked. A quick check that it
runs (figures meaningless): BENCH_ROUNDS=1 BENCH_SECONDS=1 BENCH_LEADS=20 BENCH_CONNECTIONS=2.
"""

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench._common import free_port, percentile, print_table, require_postgres, wait_for_port  # noqa: E402
from bench._common import summary as bench_summary  # noqa: E402

HOST = "127.0.0.1"
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = float(os.environ.get("BENCH_SECONDS", 8))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 8))
LEADS = int(os.environ.get("BENCH_LEADS", 300))
SERIAL_SECONDS = 5
RUN_ID = secrets.token_hex(4)
MINIMAL_PATH = "/bench/minimal-insert/"
ADAPTERS = ("generic", "mango", "zadarma")
ADAPTERS_AND_MINIMAL = ("minimal", *ADAPTERS)


def main():
    database_url = require_postgres("pbx_webhooks")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.minimal_urls import minimal_table_reset
    from leadflow.models import ApiToken, PbxAccount, Source
    from leadflow.services import api_token_issue, lead_receive

    call_command("migrate", verbosity=0)
    minimal_table_reset()
    mango = PbxAccount.objects.create(
        provider="mango", name=f"bench-{RUN_ID}", api_key=f"mk-{RUN_ID}", api_secret=secrets.token_hex(16)
    )
    zadarma = PbxAccount.objects.create(
        provider="zadarma", name=f"bench-{RUN_ID}", api_key=f"zk-{RUN_ID}", api_secret=secrets.token_hex(16)
    )
    token = api_token_issue(kind=ApiToken.Kind.TELEPHONY, name=f"bench-{RUN_ID}")
    website = Source.objects.get(code="website")
    base = 79000000000 + int(RUN_ID[:4], 16) * 1000
    phones = []
    for n in range(LEADS):
        phone = f"+{base + n}"
        lead_receive(source=website, phone=phone, external_id=f"bench-{RUN_ID}-{n}", channel="api")
        phones.append(phone)
    connection.close()

    port = free_port(8400, 8500)
    server = _start_gunicorn(port, database_url)
    senders = {
        "minimal": lambda call_no: [
            (MINIMAL_PATH, "json", {"external_id": f"m{call_no}", "phone": "+79000000000"}, {})
        ],
        "generic": lambda call_no: _generic_call(token.key, phones[call_no % LEADS], call_no),
        "mango": lambda call_no: _mango_call(mango, phones[call_no % LEADS], call_no),
        "zadarma": lambda call_no: _zadarma_call(zadarma, phones[call_no % LEADS], call_no),
    }
    rows, rates, serial = [], {k: [] for k in senders}, {}
    errors = 0
    counter = iter(range(10**9))
    lock = threading.Lock()
    try:
        wait_for_port(HOST, port, timeout=60, process=server)
        for label in senders:
            _load(port, senders[label], 2, 1.5, counter, lock)  # warm-up
        plan = [(n, CONNECTIONS, SECONDS) for n in range(1, ROUNDS + 1)] + [("1 conn", 1, SERIAL_SECONDS)]
        for round_no, connections, seconds in plan:
            for label, sender in senders.items():
                latencies, failed, elapsed = _load(port, sender, connections, seconds, counter, lock)
                errors += failed
                rate = len(latencies) / elapsed
                if connections == 1:
                    serial[label] = (rate, percentile(latencies, 0.95))
                else:
                    rates[label].append(rate)
                rows.append(
                    (
                        label,
                        round_no,
                        connections,
                        f"{len(latencies):,}",
                        f"{rate:,.0f}",
                        f"{percentile(latencies, 0.5) * 1000:.1f}",
                        f"{percentile(latencies, 0.95) * 1000:.1f}",
                        f"{percentile(latencies, 0.99) * 1000:.1f}",
                        failed,
                    )
                )
    finally:
        _stop(server)
    attempts = _cleanup(RUN_ID)
    print_table(
        f"PBX notifications: gunicorn {WORKERS} sync workers on {HOST}:{port}, {CONNECTIONS} client threads, "
        f"{SECONDS:.0f} s per round, PostgreSQL {connection.settings_dict['NAME']}",
        ("endpoint", "round", "conn", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"),
        rows,
    )
    summary = []
    for label in ADAPTERS_AND_MINIMAL:
        values = rates[label]
        summary.append(
            (
                f"{label} req/s min / median / max",
                f"{min(values):,.0f} / {median(values):,.0f} / {max(values):,.0f}",
            )
        )
    for label in ADAPTERS:
        ratio = median(rates[label]) / median(rates["minimal"])
        summary.append((f"{label} / minimal (median rounds)", f"{ratio:.2f}×"))
        p95 = serial[label][1] * 1000
        bench_summary(
            f"PBX {label}: events/s, median of {ROUNDS} rounds, {CONNECTIONS} conn",
            f"{median(rates[label]):,.0f}",
            reference=f"minimal {median(rates['minimal']):,.0f}",
            ratio=f"{ratio:.2f}×",
        )
        bench_summary(f"PBX {label}: p95 of one event, 1 conn", f"{p95:.1f} ms", target="< 50 ms", met=p95 < 50)
        summary.append(
            (
                f"{label} p95 of one event, 1 connection",
                f"{p95:.1f} ms (target < 50 ms: {'met' if p95 < 50 else 'MISSED'})",
            )
        )
    summary.append(("minimal p95, 1 connection", f"{serial['minimal'][1] * 1000:.1f} ms"))
    summary.append(("call attempts made by the events", f"{attempts:,}"))
    summary.append(("errors + non-2xx", f"{errors:,}"))
    print_table("Summary", ("figure", "value"), summary)
    late = any(serial[label][1] >= 0.05 for label in ADAPTERS)
    return 1 if errors or late else 0


def _generic_call(key, phone, call_no):
    """Our own webhook: the PBX posts the finished call once, JSON, token auth."""
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    body = {
        "event_id": f"bench-{RUN_ID}-{call_no}",
        "caller": "101",
        "callee": phone,
        "direction": "outbound",
        "started_at": started,
        "duration": 20,
        "answered": True,
        "operator": "101",
    }
    return [("/api/v1/calls/", "json", body, {"Authorization": f"Token {key}"})]


def _mango_call(account, phone, call_no):
    from leadflow.telephony.mango import mango_sign

    t0 = int(datetime.now(UTC).timestamp()) - 30
    entry = f"bench-{RUN_ID}-{call_no}"
    ours, theirs = {"extension": "101"}, {"number": phone.lstrip("+")}
    payloads = [
        ("call", {"entry_id": entry, "timestamp": t0, "seq": 1, "call_state": "Appeared", "from": ours, "to": theirs}),
        (
            "call",
            {"entry_id": entry, "timestamp": t0 + 5, "seq": 2, "call_state": "Connected", "from": ours, "to": theirs},
        ),
        (
            "call",
            {
                "entry_id": entry,
                "timestamp": t0 + 25,
                "seq": 3,
                "call_state": "Disconnected",
                "from": ours,
                "to": theirs,
            },
        ),
        (
            "summary",
            {
                "entry_id": entry,
                "call_direction": 2,
                "from": ours,
                "to": theirs,
                "create_time": t0,
                "talk_time": t0 + 5,
                "end_time": t0 + 25,
                "entry_result": 1,
            },
        ),
        (
            "recording",
            {"entry_id": entry, "recording_id": f"r-{entry}", "recording_state": "Completed", "timestamp": t0 + 26},
        ),
    ]
    out = []
    for kind, payload in payloads:
        body = json.dumps(payload)
        form = {
            "vpbx_api_key": account.api_key,
            "sign": mango_sign(account.api_key, body, account.api_secret),
            "json": body,
        }
        out.append((f"/api/v1/pbx/mango/{account.pk}/events/{kind}", "form", form, {}))
    return out


def _zadarma_call(account, phone, call_no):
    from zoneinfo import ZoneInfo

    from leadflow.telephony.zadarma import event_signature_text, zadarma_sign

    start = datetime.now(ZoneInfo(account.timezone)).strftime("%Y-%m-%d %H:%M:%S")
    call_id = f"bench-{RUN_ID}-{call_no}"
    dest = phone.lstrip("+")
    forms = [
        {
            "event": "NOTIFY_OUT_START",
            "call_start": start,
            "pbx_call_id": call_id,
            "internal": "101",
            "destination": dest,
        },
        {
            "event": "NOTIFY_OUT_END",
            "call_start": start,
            "pbx_call_id": call_id,
            "internal": "101",
            "destination": dest,
            "duration": "20",
            "disposition": "answered",
            "is_recorded": "1",
            "call_id_with_rec": f"{call_id}-r",
        },
        {"event": "NOTIFY_RECORD", "pbx_call_id": call_id, "call_id_with_rec": f"{call_id}-r"},
    ]
    path = f"/api/v1/pbx/zadarma/{account.pk}/"
    return [(path, "form", f, {"Signature": zadarma_sign(event_signature_text(f), account.api_secret)}) for f in forms]


def _load(port, sender, connections, seconds, counter, lock):
    """`connections` threads, each sending whole calls (its events in order) until time is up."""
    latencies, failures = [], [0]
    deadline = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            with lock:
                call_no = next(counter)
            for path, kind, body, headers in sender(call_no):
                if kind == "json":
                    data, ctype = json.dumps(body), "application/json"
                else:
                    data, ctype = urllib.parse.urlencode(body), "application/x-www-form-urlencoded"
                started = time.perf_counter()
                try:
                    conn.request("POST", path, body=data, headers={"Content-Type": ctype, **headers})
                    response = conn.getresponse()
                    response.read()
                    ok = 200 <= response.status < 300
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                mine.append(time.perf_counter() - started)
                if not ok:
                    with lock:
                        failures[0] += 1
        with lock:
            latencies.extend(mine)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0], time.perf_counter() - started


def _start_gunicorn(port, database_url):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
        LOG_LEVEL="ERROR",
        CONN_MAX_AGE="600",
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
        "--log-level=warning",
        "--timeout=30",
        "--keep-alive=30",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _cleanup(run_id):
    """Delete the run's calls, attempts, leads and accounts; the number of attempts the events made."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django_fsm_log.models import StateLog

    from leadflow.models import ApiToken, Inquiry, Lead, Notification, PbxAccount
    from leadflow.services import api_token_revoke
    from qualification.models import CallAttempt, PbxCall

    accounts = PbxAccount.objects.filter(name=f"bench-{run_id}")
    ids = list(Lead.objects.filter(external_id__startswith=f"bench-{run_id}-").values_list("pk", flat=True))
    attempts = CallAttempt.objects.filter(lead_id__in=ids).exclude(channel="manual").count()
    with transaction.atomic():
        PbxCall.objects.filter(account__in=accounts).delete()
        CallAttempt.objects.filter(lead_id__in=ids).delete()
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Lead), object_id__in=ids).delete()
        Notification.objects.filter(lead_id__in=ids).delete()
        Inquiry.objects.filter(lead_id__in=ids).delete()
        Lead.objects.filter(pk__in=ids).delete()
        accounts.delete()
    for token in ApiToken.objects.filter(name=f"bench-{run_id}", revoked_at__isnull=True):
        api_token_revoke(token_id=token.pk, actor=None)  # revoked, not deleted: its issue is an audit row
    return attempts


if __name__ == "__main__":
    sys.exit(main())
