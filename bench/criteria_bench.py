"""The "Criteria and outcomes" page and its rule what-if on 1,000,000 demo leads (PostgreSQL).

    psql -h 127.0.0.1 -U postgres -c "create database leadflow_criteria_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_criteria_bench .venv/bin/python bench/criteria_bench.py
    (or `make bench`; CRITERIA_BENCH_LEADS=200000 for a quicker run, CRITERIA_BENCH_ROUNDS=5)

The database is topped up with `seed_demo` (its leads carry checklist answers, hand-offs, visits and
deals), then each figure is timed over ROUNDS rounds and printed as min / median / max:
- the page builder (reports.criteria.criteria_page: every question and attribute against the rest,
  selectors + tables, the work of a request without HTML) over the last 30 days and the last year;
- the what-if (reports.selectors.criteria.rule_effect) of a number rule and of a choice rule over the
  last 6 and 12 months.
Before timing, the report rollup is rebuilt (`rebuild_report_rollup`, timed: it builds the criteria
rows per day too); the page and the what-if then read the held days from it and compute the rest (today,
the first part day of a period) raw. Also timed, for the record: the same page computed all raw (a
person / source / region filter cannot use the rollup). Target (issue 17 §3): each under 1 s.
"""

import os
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import print_table, seed_demo_up_to, setup_scratch_django, summary  # noqa: E402

LEADS = int(os.environ.get("CRITERIA_BENCH_LEADS", "1000000"))
ROUNDS = int(os.environ.get("CRITERIA_BENCH_ROUNDS", "5"))
TARGET_S = 1.0


def timed(fn):
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return sorted(times)


def main():
    setup_scratch_django("criteria_bench", fills="demo leads")
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from reports.criteria import criteria_page
    from reports.selectors import Period, ReportFilter, Scope
    from reports.selectors.criteria import Rule, rule_effect

    call_command("migrate", verbosity=0)
    total, seeded = seed_demo_up_to(LEADS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE qualification_leadanswer")
        cursor.execute("ANALYZE sales_visit")
    from reports import rollup

    started = time.perf_counter()
    rollup.rollup_rebuild()
    built = time.perf_counter() - started
    print(f"rollup rebuilt in {built:.1f} s ({total:,} leads)", flush=True)
    summary(f"report rollup rebuild incl. criteria rows, {total:,} leads", f"{built:.1f} s")
    now = timezone.now()
    scope = Scope()
    cases = []
    for label, days in (("page, last 30 days", 30), ("page, last year", 365)):
        report_filter = ReportFilter(period=Period(now - timedelta(days=days), now))
        cases.append((label, lambda f=report_filter: criteria_page(report_filter=f, scope=scope)))
    raw_filter = ReportFilter(period=Period(now - timedelta(days=30), now), region="Москва")
    cases.append(
        (
            "page, last 30 days, region filter (all raw, no target)",
            lambda: criteria_page(report_filter=raw_filter, scope=scope),
        )
    )
    rules = {
        "timeline > 6 → nurture": ("q:timeline", "gt", (6.0,), "nurture"),
        "product type = modular → disqualify": ("q:product_type", "eq", ("modular",), "disqualify"),
    }
    for name, (target, operator, values, action) in rules.items():
        for months in (6, 12):
            rule = Rule(target=target, operator=operator, values=values, action=action, months=months)
            cases.append((f"what-if {name}, {months} months", lambda r=rule: rule_effect(rule=r, scope=scope)))
    rows = _timed_rows(cases, total)
    # a working day: qualifiers and reps change leads of earlier days between two refreshes of the rollup, and
    # those days are read raw (`rollup.stale_days`) until the next refresh: one lead on each of three days
    from leadflow.models import Lead

    for days_ago in (5, 12, 40):
        moment = now - timedelta(days=days_ago)
        lead = Lead.objects.filter(received_at__gte=moment, received_at__lt=moment + timedelta(days=1)).first()
        if lead is not None:
            Lead.objects.filter(pk=lead.pk).update(last_activity_at=now)  # stamps updated_at (Lead's queryset)
    changed = " (3 earlier days changed since the refresh)"
    rows += _timed_rows([(label + changed, fn) for label, fn in cases if "all raw" not in label], total)
    print_table(
        f"{total:,} leads{seeded}; min / median / max of {ROUNDS} rounds, seconds; target < {TARGET_S:.0f} s",
        ("figure", "min", "median", "max", "target"),
        rows,
    )
    return 0


def _timed_rows(cases, total):
    rows = []
    for label, fn in cases:
        fn()  # warm the caches the same way for every case
        times = timed(fn)
        verdict = "ok" if times[-1] < TARGET_S else "MISSED"
        if "all raw" in label:
            verdict = "—"
        else:
            summary(
                f"criteria {label}, {total:,} leads",
                f"{times[0]:.3f} / {times[len(times) // 2]:.3f} / {times[-1]:.3f} s",
                target="< 1 s",
                met=times[-1] < TARGET_S,
            )
        rows.append((label, f"{times[0]:.3f}", f"{times[len(times) // 2]:.3f}", f"{times[-1]:.3f}", verdict))
    return rows


if __name__ == "__main__":
    sys.exit(main())
