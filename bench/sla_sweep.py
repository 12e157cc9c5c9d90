"""SLA benchmark: sweep time over a large lead table, the catch-up after an outage (1,000 overdue leads,
target < 5 s, against a hand-written UPDATE + INSERT … SELECT of the same breaches in the same run), and
intake latency with the broker up vs down.

    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_bench .venv/bin/python bench/sla_sweep.py

The database named by DATABASE_URL must be PostgreSQL and have "bench" in its name: its leads are
wiped and refilled by COPY (default 100,000 open + 1,000,000 closed; BENCH_SLA_OPEN / BENCH_SLA_CLOSED
change that), then analysed. The catch-up runs BENCH_SLA_ROUNDS times (default 3): each round puts the
overdue leads back (new, unclaimed, clock running, their SLA history and notifications removed), runs the
reference, puts them back again and runs `sla_sweep()`; min / median / max over the rounds.
BENCH_BROKER_URL (default redis://127.0.0.1:6379/11) is the broker for the "up" run; its default queue is
purged afterwards. Prints a table of figures.
"""

import io
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import summary  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
OPEN = int(os.environ.get("BENCH_SLA_OPEN", 100_000))
CLOSED = int(os.environ.get("BENCH_SLA_CLOSED", 1_000_000))
RUNNING = int(os.environ.get("BENCH_SLA_RUNNING", 5_000))  # open leads whose clock runs, not yet due
OVERDUE = int(os.environ.get("BENCH_SLA_OVERDUE", 1_000))  # open leads past their breach deadline
BROKER_UP = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")
BROKER_DOWN = "redis://127.0.0.1:1/11"  # nothing listens on port 1
INTAKE_REQUESTS = int(os.environ.get("BENCH_INTAKE_REQUESTS", 200))
ROUNDS = int(os.environ.get("BENCH_SLA_ROUNDS", 3))
CATCH_UP_TARGET_S = 5.0


def main():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in url.rsplit("/", 1)[-1]:
        print("skipped: set DATABASE_URL=postgres://…/<a database with 'bench' in its name> (it is wiped)")
        return 0
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    people = _setup_team()
    print(f"loading {OPEN:,} open + {CLOSED:,} closed leads…", flush=True)
    rows = []
    started = time.perf_counter()
    _load_leads(people)
    rows.append(
        ("load (COPY) + ANALYZE", f"{OPEN:,} open + {CLOSED:,} closed", f"{time.perf_counter() - started:.1f} s")
    )
    rows += _bench_sweep()
    _print_table(rows)
    rows += _bench_intake()
    _print_table(rows)
    return 0


# --- data ---------------------------------------------------------------------------------------


def _setup_team():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from leadflow.models import Profile, Team

    team = Team.objects.get(name="Квалификация")
    team.working_hours.all().delete()  # 24/7, so the figures do not depend on the hour of the run
    User = get_user_model()
    lead_user, _ = User.objects.get_or_create(
        username="bench-tl", defaults={"first_name": "Bench", "last_name": "Lead"}
    )
    team.lead = lead_user
    team.reassign_on_breach = True  # the longest path of a breach
    team.save()
    qualifiers = []
    group = Group.objects.get(name="qualifier")
    for n in range(5):
        user, _ = User.objects.get_or_create(username=f"bench-q{n}", defaults={"first_name": "Q", "last_name": str(n)})
        user.groups.add(group)
        Profile.objects.update_or_create(user=user, defaults={"team": team, "is_available": True})
        qualifiers.append(user.pk)
    return {"team": team, "qualifiers": qualifiers}


def _load_leads(people):
    from django.db import connection
    from django.utils import timezone
    from django_fsm_log.models import StateLog

    from leadflow.models import Lead, LeadStatus, SlaState, Source

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leadflow_lead RESTART IDENTITY CASCADE")
    StateLog.objects.all().delete()
    team = people["team"]
    now = timezone.now()
    template = Lead(source=Source.objects.get(code="website"), qualification_team=team, received_at=now, phone="+7")
    fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    base = [_text(f.get_db_prep_save(getattr(template, f.attname), connection)) for f in fields]
    index = {name: columns.index(name) for name in columns}

    def row(n, *, status, received, sla_state, first_call=None, qualifier=None, closed=None):
        values = list(base)
        values[index["phone"]] = f"+79{n:09d}"
        values[index["status"]] = status
        values[index["received_at"]] = received.isoformat()
        values[index["sla_warn_at"]] = (received + timedelta(minutes=15)).isoformat()
        breach = received + timedelta(minutes=20)
        values[index["sla_breach_at"]] = breach.isoformat()
        values[index["sla_state"]] = sla_state
        values[index["first_call_at"]] = first_call.isoformat() if first_call else r"\N"
        if sla_state == SlaState.MET_LATE:
            values[index["sla_breached_at"]] = breach.isoformat()
        values[index["qualifier_id"]] = str(qualifier) if qualifier else r"\N"
        values[index["closed_at"]] = closed.isoformat() if closed else r"\N"
        values[index["updated_at"]] = now.isoformat()
        return "\t".join(values)

    qualifiers = people["qualifiers"]
    closed_statuses = [LeadStatus.WON, LeadStatus.LOST, LeadStatus.DISQUALIFIED, LeadStatus.DISQUALIFIED]
    open_statuses = [LeadStatus.QUALIFYING, LeadStatus.QUALIFIED, LeadStatus.HANDED_OFF, LeadStatus.MEASURED]

    def closed_rows():
        for n in range(CLOSED):
            received = now - timedelta(days=30 + n % 700, minutes=n % 1440)
            late = n % 7 == 0
            yield row(
                n,
                status=closed_statuses[n % 4],
                received=received,
                sla_state=SlaState.MET_LATE if late else SlaState.MET,
                first_call=received + timedelta(minutes=35 if late else 8),
                qualifier=qualifiers[n % 5],
                closed=received + timedelta(days=3),
            )

    def open_rows():
        met = OPEN - RUNNING - OVERDUE
        for n in range(CLOSED, CLOSED + OPEN):
            k = n - CLOSED
            if k < met:  # in the pipeline, called long ago: outside the partial index
                received = now - timedelta(days=1 + k % 29, minutes=k % 1440)
                yield row(
                    n,
                    status=open_statuses[k % 4],
                    received=received,
                    sla_state=SlaState.MET,
                    first_call=received + timedelta(minutes=9),
                    qualifier=qualifiers[k % 5],
                )
            elif k < met + RUNNING:  # received in the last minutes of a queue burst: clock runs, not due
                yield row(n, status=LeadStatus.NEW, received=now + timedelta(seconds=k % 600), sla_state="pending")
            else:  # the broker was down: past the breach deadline, nobody checked
                yield row(n, status=LeadStatus.NEW, received=now - timedelta(minutes=40), sla_state="pending")

    with connection.cursor() as cursor:
        for rows in (closed_rows(), open_rows()):
            _copy(cursor, "leadflow_lead", columns, rows)
        cursor.execute("ANALYZE leadflow_lead")


def _copy(cursor, table, columns, rows, chunk=100_000):
    buffer = io.StringIO()
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    for count, line in enumerate(rows, start=1):
        buffer.write(line)
        buffer.write("\n")
        if count % chunk == 0:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            buffer = io.StringIO()
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)


def _text(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# --- the sweep ----------------------------------------------------------------------------------


def _bench_sweep():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from qualification import sla

    rows = []
    due = sla.sla_leads_due()
    query, params = _due_sql()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
        plan = [line for (line,) in cursor.fetchall()]
    spent = {"reference": [], "sweep": []}
    for _round in range(ROUNDS):
        _put_overdue_back()
        started = time.perf_counter()
        breached = _reference_catch_up()
        spent["reference"].append(time.perf_counter() - started)
        _put_overdue_back()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            totals = sla.sla_sweep()
            spent["sweep"].append(time.perf_counter() - started)
        assert totals["breached"] == breached == OVERDUE, (totals, breached)
    sweep, reference = spent["sweep"], spent["reference"]
    ratios = [s / r for s, r in zip(sweep, reference, strict=True)]
    rows.append(
        (
            f"catch-up: sweep over {OVERDUE:,} overdue leads, {ROUNDS} rounds",
            f"{totals['due']:,} due → {totals['warned']:,} warned, {totals['breached']:,} breached + reassigned; "
            f"{len(ctx.captured_queries)} queries",
            f"min / median / max {_spread(sweep)} s ({1000 * statistics.median(sweep) / OVERDUE:.1f} ms/lead); "
            f"target < {CATCH_UP_TARGET_S:.0f} s: " + ("ok" if max(sweep) < CATCH_UP_TARGET_S else "MISSED"),
        )
    )
    rows.append(
        (
            "reference: one UPDATE + INSERT … SELECT (breach rows only)",
            f"{OVERDUE:,} leads breached",
            f"min / median / max {_spread(reference)} s",
        )
    )
    rows.append(("sweep / reference (within each round)", "", f"{_spread(ratios)}×"))
    summary(
        f"SLA catch-up after an outage: {OVERDUE:,} overdue leads, {ROUNDS} rounds",
        f"{_spread(sweep)} s",
        reference=f"UPDATE + INSERT … SELECT {_spread(reference)} s",
        ratio=f"{_spread(ratios)}×",
        target=f"< {CATCH_UP_TARGET_S:.0f} s",
        met=max(sweep) < CATCH_UP_TARGET_S,
    )
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        assert sla.sla_sweep(now=timezone.now())["due"] == 0
        timings.append(time.perf_counter() - started)
    rows.append(("sweep, nothing due (median of 20)", f"{RUNNING:,} clocks running", _ms(timings)))
    rows.append(("due query, rows found", f"{len(due):,}", "see plan below"))
    print("Plan of the due query (before the sweep):")
    for line in plan:
        print("   ", line)
    return rows


def _spread(values):
    return " / ".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))


def _overdue_ids():
    """The overdue leads are the last OVERDUE rows of the load (ids restart at 1)."""
    return (CLOSED + OPEN - OVERDUE + 1, CLOSED + OPEN)


def _put_overdue_back():
    """The overdue leads as the outage left them: new, unclaimed, clock running, nothing recorded."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from leadflow.models import Lead, Notification, Profile

    first, last = _overdue_ids()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leadflow_lead SET status = 'new', qualifier_id = NULL, claimed_at = NULL, last_activity_at = NULL, "
            "sla_state = 'pending', sla_warned_at = NULL, sla_breached_at = NULL WHERE id BETWEEN %s AND %s",
            [first, last],
        )
        cursor.execute(
            "DELETE FROM django_fsm_log_statelog WHERE content_type_id = %s AND object_id BETWEEN %s AND %s",
            [ContentType.objects.get_for_model(Lead).pk, first, last],
        )
        Notification.objects.all().delete()  # a bench database: only this bench's notifications
        Profile.objects.filter(user__username__startswith="bench-q").update(last_assigned_at=None)


def _reference_catch_up():
    """The least SQL that records the same breaches: one UPDATE and the history rows from its RETURNING."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from leadflow.models import Lead

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "WITH due AS (SELECT id FROM leadflow_lead WHERE sla_state IN ('pending', 'warned') "
            "AND first_call_at IS NULL AND sla_breach_at <= now() ORDER BY id FOR UPDATE), "
            "breached AS (UPDATE leadflow_lead l SET sla_state = 'breached', sla_warned_at = now(), "
            "sla_breached_at = now(), updated_at = now() FROM due WHERE l.id = due.id RETURNING l.id, l.status) "
            "INSERT INTO django_fsm_log_statelog (content_type_id, object_id, source_state, state, transition, "
            "description, timestamp) SELECT %s, id, status, status, 'sla_breach', '', now() FROM breached",
            [ContentType.objects.get_for_model(Lead).pk],
        )
        return cursor.rowcount


def _due_sql():
    from django.utils import timezone

    from qualification import sla

    qs = sla.sla_due_queryset(now=timezone.now()).values_list("pk", "sla_breach_at")
    return qs.query.sql_with_params()


# --- intake latency -----------------------------------------------------------------------------


def _bench_intake():
    from django.test import Client
    from kombu import pools

    from leadflow.celery import app
    from leadflow.models import SecurityEvent, Source
    from leadflow.services import api_token_issue

    token = api_token_issue(source=Source.objects.get(code="website"), name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    rows = []
    for prefix, label, url in ((1, "broker up", BROKER_UP), (2, "broker down", BROKER_DOWN)):
        app.conf.update(broker_url=url, broker_write_url=url, broker_read_url=url, task_always_eager=False)
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        timings = []
        for n in range(INTAKE_REQUESTS):
            phone = f"+7999{prefix:03d}{n:04d}"
            started = time.perf_counter()
            response = client.post("/api/v1/leads/", {"phone": phone}, content_type="application/json")
            timings.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise SystemExit(f"intake answered {response.status_code}: {response.content[:300]!r}")
        p95 = sorted(timings)[int(0.95 * len(timings)) - 1]
        rows.append(
            (
                f"POST /api/v1/leads/, {label}",
                f"{INTAKE_REQUESTS} requests",
                f"{_ms(timings)} (p95 {p95 * 1000:.1f} ms)",
            )
        )
    with app.connection_for_write(BROKER_UP) as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    SecurityEvent.objects.filter(token=token).delete()  # a bench database: its log goes with its token
    token.delete()
    return rows


def _ms(timings):
    return f"{statistics.median(timings) * 1000:.1f} ms"


def _print_table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    print()
    print(f"SLA benchmark on PostgreSQL: {OPEN:,} open + {CLOSED:,} closed leads")
    for r in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(r, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
