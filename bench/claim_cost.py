"""What one "Next lead" claim costs, in statements and CPU, against the hand-written reference (issue 14 §3).

    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_perf_bench .venv/bin/python bench/claim_cost.py

Not a throughput figure (bench/queue_page.py measures claims/s with 50 threads): one connection claims in
turn for 10 qualifiers, BENCH_COST_ROUNDS rounds (default 8) of BENCH_COST_CLAIMS claims (default 100)
per path, the paths interleaved within each round and the pool put back after every batch, so each
batch sees the same pool (`queue_page._fill_pool` tops it up with fresh leads). Per claim: the
statements (`CaptureQueriesContext`), the app's CPU (`process_time`) and, when PostgreSQL runs on this
machine, the backend's own CPU (`/proc/<pg_backend_pid()>/stat`): on a shared machine the two add up to
what a claim costs the cores. Paths: the reference (`queue_page._reference_claim`: UPDATE … WHERE id =
(pick FOR UPDATE SKIP LOCKED), no history), the app (`lead_claim_next`: one statement on PostgreSQL) and
the ORM path it replaced (`claims._claim_next_skip_locked`). Needs "bench" in the database's name; fills
it up to BENCH_COST_LEADS demo leads (default 20,000) when it has fewer, and ANALYZEs the lead table: run
it by hand on its own database, not within `make bench` (bench/run.py leaves it out), where it would
change the statistics state that queue_page measures "as loaded".
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import print_table, seed_demo_up_to, setup_scratch_django  # noqa: E402

LEADS = int(os.environ.get("BENCH_COST_LEADS", 20_000))
ROUNDS = int(os.environ.get("BENCH_COST_ROUNDS", 8))
CLAIMS = int(os.environ.get("BENCH_COST_CLAIMS", 100))
PEOPLE = 10


def main():
    setup_scratch_django("claim_cost", fills=f"{LEADS:,} demo leads")
    from django.core.management import call_command
    from django.db import connection

    from bench import queue_page
    from leadflow import access, roles
    from leadflow.models import Lead
    from qualification import selectors
    from qualification.services import claims

    call_command("migrate", verbosity=0)
    seed_demo_up_to(LEADS)
    qualifier, _qlead = queue_page._people()
    team_id = access.team_id_of(qualifier)
    users = queue_page._bench_qualifiers(team_id)[:PEOPLE]
    user_ids = [u.pk for u in users]
    for user in users:  # the profile and roles are read once per request in the app: here once per user
        access.member_team_id(user)
        roles.can_qualify(None, user)
    pool = selectors.claimable_leads(team_id=team_id)
    added = queue_page._fill_pool(team_id, wanted=CLAIMS + 500 - pool.count())
    before = dict(pool.values_list("pk", "last_activity_at")[: CLAIMS + 1000])
    backend_cpu = _backend_cpu_reader(connection)
    paths = {
        "reference (UPDATE … SKIP LOCKED)": queue_page._reference_claim(team_id),
        "app: lead_claim_next": lambda user: claims.lead_claim_next(actor=user),
        "ORM path (before)": lambda user: claims._claim_next_skip_locked(team_id=team_id, actor=user),
    }
    figures = {name: {"statements": 0, "app": [], "db": []} for name in paths}
    try:
        for name, claim in paths.items():  # the second claim: the first compiles and reads the content type
            for _warm in range(2):
                figures[name]["statements"], taken = _statements(connection, claim, users[0])
                queue_page._restore_pool([taken], before, user_ids)
        for _round in range(ROUNDS):
            for name, claim in paths.items():
                taken = []
                db_started, cpu_started = backend_cpu(), time.process_time()
                for n in range(CLAIMS):
                    taken.append(claim(users[n % len(users)]))
                cpu, db = time.process_time() - cpu_started, backend_cpu()
                if None in taken:
                    raise SystemExit(f"{name}: the pool ran dry")
                figures[name]["app"].append(cpu / CLAIMS * 1000)
                if db is not None:
                    figures[name]["db"].append((db - db_started) / CLAIMS * 1000)
                queue_page._restore_pool([getattr(lead, "pk", lead) for lead in taken], before, user_ids)
    finally:
        queue_page._deactivate(user_ids)
        Lead.objects.filter(pk__in=added).delete()

    def spread(values):
        return f"{min(values):.2f} / {statistics.median(values):.2f}" if values else "— (PostgreSQL elsewhere)"

    rows = [(name, f["statements"], spread(f["app"]), spread(f["db"])) for name, f in figures.items()]
    print_table(
        f'"Next lead": cost of one claim, {ROUNDS} rounds × {CLAIMS} claims per path, min / median',
        ("path", "statements", "app CPU ms", "DB backend CPU ms"),
        rows,
    )
    return 0


def _statements(connection, claim, user):
    """The statements of one claim, and the lead (or id) it took."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        lead = claim(user)
    return len(queries.captured_queries), getattr(lead, "pk", lead)


def _backend_cpu_reader(connection):
    """Seconds of CPU of this connection's PostgreSQL backend, or None when it is not a local process."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def read():
        if not stat.exists():
            return None
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


if __name__ == "__main__":
    sys.exit(main())
