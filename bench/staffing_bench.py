"""The staffing planner (issue 17 §1) on a big database: the page and the what-if, min / median / max.

    psql -h 127.0.0.1 -U postgres -c "create database leadflow_staffing_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_staffing_bench .venv/bin/python bench/staffing_bench.py
    (or `make bench`; STAFFING_BENCH_LEADS=20000 for a quick run, default 1,000,000 demo leads)

Tops the database up with `seed_demo` (COPY) to STAFFING_BENCH_LEADS leads over the demo's 91 days, runs
the nightly snapshot task once (timed, reported: it is background work, not a request), then times,
through the test client as the director (a whole request: the view, the history, the template),
STAFFING_BENCH_ROUNDS rounds of:
- the planner page, cold: the cache cleared, so the team's history is read again (three aggregate
  queries: arrivals per minute, the handle-time histogram, the call outcomes) and, for a team above
  reports.staffing.page.LIVE_LEADS leads in its window, the needs and the roster's shares come from the
  stored snapshot (below it: the whole window replayed, as on every request);
- the planner page, warm: the history cached;
- the what-if: one more qualifier on Monday evening (a big team: the Mondays it changes replayed with
  the current and the changed roster, up to reports.staffing.snapshot.WHAT_IF_LEADS leads, at least one);
- the what-if of another promise, X = 95 % within 10 (and 20) working minutes, alone and with the Monday
  evening qualifier (a big team: the default promise's snapshot re-read at the new limit, the needs Erlang
  C's until the promise's own snapshot, queued, is made; the queued task is not run here);
- the backtest page (a big team: the prediction made by the nightly task, the measured share read live).
Target: each under 1 s. The history is the last four whole weeks: at 1,000,000 demo leads that is
~300,000 leads of one team (~11,000 a day), far more than the demo roster's four qualifiers can call.
"""

import os
import statistics
import sys
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import ms, print_table, seed_demo_up_to, setup_scratch_django  # noqa: E402

LEADS = int(os.environ.get("STAFFING_BENCH_LEADS", "1000000"))
ROUNDS = int(os.environ.get("STAFFING_BENCH_ROUNDS", "5"))
WHAT_IF = {"add_weekday": "0", "add_start": "18:00", "add_end": "21:00", "add_count": "1"}


def timed(client, url, params, *, before=None):
    spent = []
    for _ in range(ROUNDS):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url, params)
        spent.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return spent


def main():
    setup_scratch_django("staffing_bench", fills="demo leads")
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from leadflow.models import Team
    from reports.staffing import history as team_history
    from reports.staffing.page import history_cache_key
    from reports.staffing.snapshot import snapshots_refresh

    call_command("migrate", verbosity=0)
    leads, seeded = seed_demo_up_to(LEADS)
    team = Team.objects.get(name="Квалификация")
    started = time.perf_counter()
    refreshed = snapshots_refresh()
    print(f"nightly snapshot task: {time.perf_counter() - started:.1f} s for {len(refreshed)} team(s)", flush=True)
    client = Client()
    client.force_login(get_user_model().objects.get(username="director"))
    url = reverse("reports:staffing")
    base = {"team": str(team.pk)}
    today = timezone.localdate(timezone=ZoneInfo(team.time_zone))
    history_key = history_cache_key(team, *team_history.history_window(today))
    promise = {"target": "95", "sla": "10"}
    rows = []
    for name, params, before, page in (
        ("planner, history not cached", base, lambda: cache.delete(history_key), url),
        ("planner, cached", base, None, url),
        ("what-if (+1 Mon 18-21)", {**base, **WHAT_IF}, None, url),
        ("what-if X=95 %, SLA 10", {**base, **promise}, None, url),
        ("what-if X=95 %, SLA 20", {**base, **promise, "sla": "20"}, None, url),
        ("what-if X=95 %, SLA 10, +1 Mon", {**base, **promise, **WHAT_IF}, None, url),
        ("backtest", base, None, reverse("reports:staffing-backtest")),
    ):
        spent = timed(client, page, params, before=before)
        rows.append(
            (name, ms(min(spent)), ms(statistics.median(spent)), ms(max(spent)), "yes" if max(spent) < 1 else "NO")
        )
    print_table(
        f"staffing planner, {leads:,} leads{seeded}, {ROUNDS} rounds, ms (a whole request)",
        ("request", "min", "median", "max", "< 1 s"),
        rows,
    )
    return 0 if all(row[-1] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
