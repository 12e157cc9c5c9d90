# ruff: noqa: E501  (SQL text)
"""Every KPI dashboard on 1,000,000 leads (PostgreSQL), beside the equivalent raw SQL aggregate.

    psql -h 127.0.0.1 -U postgres -c "create database leadflow_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_bench .venv/bin/python bench/reports_bench.py
    (or `make bench`; REPORTS_BENCH_LEADS=200000 for a quicker run)

Leads are generated in the database by one INSERT … SELECT generate_series (a lead every 30 s over
~a year, realistic stage shares), then the daily rollup is built (`rebuild_report_rollup`, timed).
For each dashboard it times the page builder (selectors + table building, the work of a request
without HTML) and the hand-written SQL of the same aggregates — over the rollup where the page reads
it (funnel, speed, pilot: the rollup's rows for the held months, the leads for the rest of the
period), over the leads elsewhere — min / median / max of ROUNDS rounds, over the whole year (the
heaviest period) and over one month (what people open). Target: each page under 1 s and within 3×
its hand-written SQL.
"""

import os
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench._common import summary  # noqa: E402

LEADS = int(os.environ.get("REPORTS_BENCH_LEADS", "1000000"))
MSK = ZoneInfo("Europe/Moscow")
START = datetime(2024, 1, 1, tzinfo=MSK)
RUNS = int(os.environ.get("REPORTS_BENCH_ROUNDS", "5"))


def setup_data():
    from django.contrib.auth.models import Group

    from leadflow.models import Lead, Profile, Source, Team
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    qteam = Team.objects.get(name="Квалификация")
    steam = Team.objects.get(name="Продажи (Москва)")
    qualifiers, reps = [], []
    for i in range(20):
        user = UserFactory(username=f"bench_q{i}", role="qualifier", team=qteam)
        qualifiers.append(user.pk)
    for i in range(5):
        reps.append(UserFactory(username=f"bench_r{i}", role="sales_rep", team=steam).pk)
    UserFactory(username="bench_director", role="director", team=None)
    assert Group.objects.filter(name="director").exists() and Profile.objects.exists()
    sources = list(Source.objects.values_list("pk", flat=True))
    existing = Lead.objects.count()
    if existing >= LEADS:
        print(f"{existing:,} leads already there")
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.6)")
        cursor.execute(INSERT_SQL, {"n": LEADS - existing, "offset": existing, "q": qualifiers, "r": reps, "s": sources,
                                    "team": qteam.pk, "start": START})  # fmt: skip
        cursor.execute("ANALYZE leadflow_lead")
    print(f"inserted {LEADS - existing:,} leads in {time.perf_counter() - started:.1f} s")


def setup_spend():
    """A month's spend for every source and campaign of the bench's leads (source economics)."""
    from datetime import date
    from decimal import Decimal

    from leadflow.models import Source
    from reports.models import MarketingSpend, net_of_vat

    rows = []
    for source_id in Source.objects.values_list("pk", flat=True):
        for campaign in ["", *(f"campaign_{i}" for i in range(5))]:
            for month in range(1, 13):
                amount = Decimal(100000 + 7000 * month)
                rows.append(MarketingSpend(
                    source_id=source_id, utm_campaign=campaign, granularity="month", day=date(2024, month, 1),
                    amount=amount, vat_included=True, vat_rate=Decimal(20),
                    amount_net=net_of_vat(amount, vat_included=True, vat_rate=Decimal(20)),
                ))  # fmt: skip
    MarketingSpend.objects.bulk_create(rows, ignore_conflicts=True)


def build_rollup():
    started = time.perf_counter()
    call_command("rebuild_report_rollup", verbosity=0)
    print(f"rollup built in {time.perf_counter() - started:.1f} s (rebuild_report_rollup, every day)")


INSERT_SQL = """
INSERT INTO leadflow_lead (name, phone, email, city, region, address, external_id, utm_source, utm_medium,
  utm_campaign, product_interest, message, received_at, status, criteria_passed, handoff_state, competitor,
  outcome_note, sla_state, is_archived, updated_at, source_id, qualification_team_id, qualifier_id,
  first_called_by_id, qualified_by_id, handed_off_by_id, sales_rep_id, claimed_at, first_call_at, qualified_at, disqualified_at, handed_off_at,
  accepted_at, measured_at, closed_at, quote_amount, deal_amount, deal_date, sla_warn_at, sla_breach_at)
SELECT '', '+7999' || lpad(g::text, 7, '0'), '', '', CASE WHEN rr < 0.8 THEN 'Москва' ELSE 'Московская область' END,
  '', '', '', '', CASE WHEN g %% 6 = 0 THEN '' ELSE 'campaign_' || (g %% 5) END, 'custom', '', rec,
  CASE WHEN NOT handed THEN 'disqualified' WHEN won THEN 'won' WHEN lost THEN 'lost'
       WHEN measured THEN 'measured' ELSE 'handed_off' END,
  handed, CASE WHEN NOT handed THEN '' WHEN accepted THEN 'accepted' ELSE 'pending' END, '', '', 'met', false, rec,
  (%(s)s)[1 + g %% cardinality(%(s)s)], %(team)s, q, q, CASE WHEN handed THEN q END,
  CASE WHEN handed THEN q END, CASE WHEN handed THEN (%(r)s)[1 + g %% cardinality(%(r)s)] END,
  rec + claim, rec + claim + talk,
  CASE WHEN handed THEN rec + claim + talk + interval '12 minutes' END,
  CASE WHEN NOT handed THEN rec + claim + talk + interval '8 minutes' END,
  CASE WHEN handed THEN rec + claim + talk + interval '20 minutes' END,
  CASE WHEN accepted THEN rec + claim + talk + interval '2 hours' END,
  CASE WHEN measured THEN rec + interval '3 days' END,
  CASE WHEN NOT handed THEN rec + claim + talk + interval '8 minutes'
       WHEN won OR lost THEN rec + interval '12 days' END,
  CASE WHEN measured THEN 300000 + round(rq * 300000) END,
  CASE WHEN won THEN 280000 + round(rq * 280000) END,
  CASE WHEN won THEN (rec + interval '12 days')::date END,
  rec + interval '15 minutes', rec + interval '20 minutes'
FROM (
  SELECT g, rec, q, claim, talk, rq, rr, handed, accepted, measured,
         measured AND rw < 0.33 AS won, measured AND rw >= 0.33 AND rw < 0.8 AS lost
  FROM (
    SELECT g, rec, q, claim, talk, rq, rr, rw,
           rh < 0.45 AS handed, rh < 0.45 AND ra < 0.9 AS accepted, rh < 0.45 AND ra < 0.81 AS measured
    FROM (
      SELECT g + %(offset)s AS g, %(start)s::timestamptz + (g + %(offset)s) * interval '30 seconds' AS rec,
             (%(q)s)[1 + (g * 7) %% cardinality(%(q)s)] AS q,
             make_interval(secs => (random() * 600)::int) AS claim,
             make_interval(secs => 30 + (random() ^ 3 * 1800)::int) AS talk,
             random() AS rh, random() AS ra, random() AS rw, random() AS rq, random() AS rr
      FROM generate_series(1, %(n)s) AS g
    ) s0
  ) s1
) s2
"""


def period(first, last_exclusive):
    from reports.selectors import Period

    return Period(first, last_exclusive)


RAW = {
    "funnel": [
        """SELECT count(*), count(*) FILTER (WHERE first_call_at IS NOT NULL), count(*) FILTER (WHERE qualified_at IS NOT NULL),
           count(*) FILTER (WHERE handed_off_at IS NOT NULL), count(*) FILTER (WHERE accepted_at IS NOT NULL),
           count(*) FILTER (WHERE measured_at IS NOT NULL), count(*) FILTER (WHERE status = 'won'),
           sum(deal_amount) FILTER (WHERE status = 'won'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - received_at)) FILTER (WHERE status = 'won'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - received_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM qualified_at - first_call_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM handed_off_at - qualified_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - handed_off_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM measured_at - accepted_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - measured_at)) FILTER (WHERE status = 'won')
           FROM leadflow_lead WHERE received_at >= %(a)s AND received_at < %(b)s AND merged_into_id IS NULL{group}""",
    ],
    "speed": [
        """SELECT count(*), count(*) FILTER (WHERE first_call_at IS NOT NULL),
           count(*) FILTER (WHERE first_call_at IS NOT NULL OR sla_breach_at < now()),
           count(*) FILTER (WHERE first_call_at <= sla_warn_at), count(*) FILTER (WHERE first_call_at <= sla_breach_at),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - received_at)),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - received_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_at - received_at)),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_at - received_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - claimed_at)) FILTER (WHERE first_call_at >= claimed_at),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - claimed_at)) FILTER (WHERE first_call_at >= claimed_at)
           FROM leadflow_lead WHERE received_at >= %(a)s AND received_at < %(b)s AND merged_into_id IS NULL{group}""",
        """SELECT extract(isodow FROM received_at AT TIME ZONE 'Europe/Moscow') d, extract(hour FROM received_at AT TIME ZONE 'Europe/Moscow') h,
           count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - received_at))
           FROM leadflow_lead WHERE received_at >= %(a)s AND received_at < %(b)s AND merged_into_id IS NULL GROUP BY 1, 2""",
    ],
    "handoff": [
        """SELECT qualified_by_id, count(*), count(*) FILTER (WHERE accepted_at IS NOT NULL),
           count(*) FILTER (WHERE measured_at IS NOT NULL), count(*) FILTER (WHERE status = 'won'),
           count(*) FILTER (WHERE status = 'lost'), sum(deal_amount) FILTER (WHERE status = 'won')
           FROM leadflow_lead WHERE handed_off_at >= %(a)s AND handed_off_at < %(b)s AND qualified_by_id IS NOT NULL
           AND merged_into_id IS NULL GROUP BY 1""",
        """SELECT qualifier_id, count(*), count(*) FILTER (WHERE decision = 'upheld') FROM sales_dispute
           WHERE raised_at >= %(a)s AND raised_at < %(b)s GROUP BY 1""",
    ],
    "sales": [
        """SELECT sales_rep_id, count(*) FILTER (WHERE handed_off_at >= %(a)s AND handed_off_at < %(b)s),
           count(*) FILTER (WHERE accepted_at >= %(a)s AND accepted_at < %(b)s),
           count(*) FILTER (WHERE measured_at >= %(a)s AND measured_at < %(b)s),
           count(*) FILTER (WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s),
           count(*) FILTER (WHERE status = 'lost' AND closed_at >= %(a)s AND closed_at < %(b)s),
           sum(deal_amount) FILTER (WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s)
           FROM leadflow_lead WHERE sales_rep_id IS NOT NULL AND merged_into_id IS NULL AND (
             (handed_off_at >= %(a)s AND handed_off_at < %(b)s) OR (accepted_at >= %(a)s AND accepted_at < %(b)s)
             OR (measured_at >= %(a)s AND measured_at < %(b)s) OR (closed_at >= %(a)s AND closed_at < %(b)s)) GROUP BY 1""",
        """SELECT lose_reason_id, count(*) FROM leadflow_lead WHERE status = 'lost' AND closed_at >= %(a)s
           AND closed_at < %(b)s AND sales_rep_id IS NOT NULL GROUP BY 1""",
    ],
    "economics": [
        """SELECT qualified_by_id, date_trunc('month', closed_at AT TIME ZONE 'Europe/Moscow'), count(*)
           FROM leadflow_lead WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s
           AND qualified_by_id IS NOT NULL AND accepted_at IS NOT NULL GROUP BY 1, 2""",
        """SELECT sales_rep_id, date_trunc('month', closed_at AT TIME ZONE 'Europe/Moscow'), count(*), sum(deal_amount)
           FROM leadflow_lead WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s
           AND sales_rep_id IS NOT NULL GROUP BY 1, 2""",
        """SELECT count(*) FILTER (WHERE qualified_at >= %(a)s AND qualified_at < %(b)s),
           count(*) FILTER (WHERE measured_at >= %(a)s AND measured_at < %(b)s),
           count(*) FILTER (WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s) FROM leadflow_lead""",
        """SELECT qualified_by_id, sales_rep_id, count(*), sum(deal_amount) FROM leadflow_lead
           WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s GROUP BY 1, 2""",
    ],
    # source economics: the cohort per source, campaign, product and month; the spend; the pay statements
    "sources": [
        """SELECT source_id, utm_campaign, product_interest, date_trunc('month', received_at AT TIME ZONE 'Europe/Moscow'),
           count(*), count(*) FILTER (WHERE qualified_at IS NOT NULL), count(*) FILTER (WHERE handed_off_at IS NOT NULL),
           count(*) FILTER (WHERE measured_at IS NOT NULL), count(*) FILTER (WHERE status = 'won'),
           sum(deal_amount) FILTER (WHERE status = 'won')
           FROM leadflow_lead WHERE received_at >= %(a)s AND received_at < %(b)s AND merged_into_id IS NULL GROUP BY 1, 2, 3, 4""",
        """SELECT source_id, utm_campaign, date_trunc('month', day), sum(amount_net) FROM reports_marketingspend
           WHERE day >= (%(a)s AT TIME ZONE 'Europe/Moscow')::date AND day < (%(b)s AT TIME ZONE 'Europe/Moscow')::date
           GROUP BY 1, 2, 3""",
    ],
    "pilot": [
        """SELECT count(*) FILTER (WHERE received_at < %(m)s), count(*) FILTER (WHERE received_at >= %(m)s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - received_at)) FILTER (WHERE received_at < %(m)s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_call_at - received_at)) FILTER (WHERE received_at >= %(m)s),
           count(*) FILTER (WHERE received_at < %(m)s AND status = 'won'), count(*) FILTER (WHERE received_at >= %(m)s AND status = 'won'),
           sum(deal_amount) FILTER (WHERE received_at < %(m)s AND status = 'won'), sum(deal_amount) FILTER (WHERE received_at >= %(m)s AND status = 'won')
           FROM leadflow_lead WHERE received_at >= %(a)s AND received_at < %(b)s AND merged_into_id IS NULL""",
    ],
    "disqualified": [
        """SELECT count(*) FILTER (WHERE status = 'disqualified' AND disqualified_at >= %(a)s AND disqualified_at < %(b)s),
           count(*) FILTER (WHERE received_at >= %(a)s AND received_at < %(b)s),
           count(*) FILTER (WHERE status = 'disqualified' AND received_at >= %(a)s AND received_at < %(b)s)
           FROM leadflow_lead WHERE ((received_at >= %(a)s AND received_at < %(b)s) OR (disqualified_at >= %(a)s AND disqualified_at < %(b)s))
           AND merged_into_id IS NULL""",
        """SELECT {dim}, count(*) FILTER (WHERE disqualified_at >= %(a)s AND disqualified_at < %(b)s),
           count(*) FILTER (WHERE received_at >= %(a)s AND received_at < %(b)s)
           FROM leadflow_lead WHERE status = 'disqualified' AND ((received_at >= %(a)s AND received_at < %(b)s)
           OR (disqualified_at >= %(a)s AND disqualified_at < %(b)s)) AND merged_into_id IS NULL GROUP BY 1""",
    ],
}
RAW["sources"] += RAW["economics"][:2]  # the pay statements under the two-tier comparison

# per qualifier by credit (reports.selectors.common.FUNNEL_CREDIT / SPEED_CREDIT)
GROUPS = {
    "funnel": " GROUP BY coalesce(qualified_by_id, qualifier_id, first_called_by_id)",
    "speed": " GROUP BY coalesce(first_called_by_id, qualifier_id)",
}


# the hand-written SQL over the rollup (reports.rollup): the held months' day rows and histograms
ROLLUP_COUNTS = """SELECT {group}, sum(received), sum(called), sum(qualified), sum(handed_off), sum(accepted), sum(measured),
   sum(won), sum(revenue), sum(within_warn), sum(within_breach), sum(uncalled_due), max(uncalled_due_max)
   FROM reports_dailyleadrollup WHERE kind = %(kind)s AND day >= %(first)s AND day < %(end)s GROUP BY 1"""
ROLLUP_HISTOGRAMS = """SELECT bucket, value, team_id, week, metric, kind, label, sum(n) FROM reports_leaddurationhistogram
   WHERE kind = ANY(%(kinds)s) AND (months, month) IN ({spans}) GROUP BY 1, 2, 3, 4, 5, 6, 7"""


def histograms_sql(first, end):
    """The histogram rows of [first, end): its years, quarters and months (reports.rollup.spans)."""
    from reports.rollup import spans

    return ROLLUP_HISTOGRAMS.format(
        spans=", ".join(f"({months}, '{month}'::date)" for months, month in spans(first, end))
    )


# the leads of the period outside the held months: the same counts, durations bucketed like the rollup's
TAIL_COUNTS = """SELECT count(*), count(*) FILTER (WHERE first_call_at IS NOT NULL), count(*) FILTER (WHERE qualified_at IS NOT NULL),
   count(*) FILTER (WHERE measured_at IS NOT NULL), count(*) FILTER (WHERE status = 'won'), sum(deal_amount) FILTER (WHERE status = 'won'),
   count(*) FILTER (WHERE first_call_at <= sla_warn_at), count(*) FILTER (WHERE first_call_at IS NULL AND sla_breach_at < now())
   FROM leadflow_lead WHERE ((received_at >= %(a)s AND received_at < %(first_at)s) OR (received_at >= %(end_at)s AND received_at < %(b)s))
   AND merged_into_id IS NULL"""
TAIL_HISTOGRAM = """SELECT floor(ln(extract(epoch FROM first_call_at - received_at)) / ln(1.02)), count(*) FROM leadflow_lead
   WHERE ((received_at >= %(a)s AND received_at < %(first_at)s) OR (received_at >= %(end_at)s AND received_at < %(b)s))
   AND merged_into_id IS NULL AND first_call_at > received_at GROUP BY 1"""
ROLLUP_RAW = {
    # the page also shows the revenue by deal date and the hand-off reconciliation (raw: by event date)
    "funnel": [
        ("counts", "value", "funnel_person"),
        ("histograms", ["all", "funnel_person"]),
        (
            "raw",
            "SELECT count(*), sum(deal_amount) FROM leadflow_lead WHERE status = 'won' AND closed_at >= %(a)s AND closed_at < %(b)s AND merged_into_id IS NULL",
        ),
        *[("raw", sql) for sql in RAW["handoff"]],
    ],
    "speed": [
        ("counts", "NULL", "all"),
        ("counts", "value", "speed_person"),
        ("counts", "extract(isodow FROM day) * 100 + value", "hour"),
        ("counts", "date_trunc('week', day)", "all"),
        ("histograms", ["all", "speed_person", "slot", "week"]),
    ],
    "pilot": [("side", "a"), ("side", "b")],
}


def rounds(fn):
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return sorted(times)


def held_months(p):
    """The whole months of `p` the rollup holds (reports.rollup.rollup_plan), None when it reads raw."""
    from reports import rollup
    from reports.selectors import ReportFilter, Scope

    plan = rollup.rollup_plan(report_filter=ReportFilter(period=p), scope=Scope())
    return None if plan is None else (plan.first_month, plan.end_month)


def raw_over_rollup(name, p, cursor):
    from reports.rollup import day_start

    months = held_months(p)
    if months is None:
        return False
    first, end = months
    for step in ROLLUP_RAW[name]:
        params = {
            "a": p.start,
            "b": p.end,
            "first": first,
            "end": end,
            "first_at": day_start(first),
            "end_at": day_start(end),
        }
        if step[0] == "counts":
            cursor.execute(ROLLUP_COUNTS.format(group=step[1]), {**params, "kind": step[2]})
        elif step[0] == "histograms":
            cursor.execute(histograms_sql(first, end), {**params, "kinds": step[1]})
        elif step[0] == "raw":
            cursor.execute(step[1], params)
        else:  # a pilot side: its held months from the rollup, the rest of its days raw
            middle = p.start + (p.end - p.start) / 2
            side = period(p.start, middle) if step[1] == "a" else period(middle, p.end)
            side_months = held_months(side)
            if side_months is None:
                return False
            params = {"a": side.start, "b": side.end, "first": side_months[0], "end": side_months[1],
                      "first_at": day_start(side_months[0]), "end_at": day_start(side_months[1])}  # fmt: skip
            cursor.execute(ROLLUP_COUNTS.format(group="NULL"), {**params, "kind": "all"})
            cursor.fetchall()
            cursor.execute(histograms_sql(*side_months), {**params, "kinds": ["all"]})
            cursor.fetchall()
            cursor.execute(TAIL_COUNTS, params)
            cursor.fetchall()
            cursor.execute(TAIL_HISTOGRAM, params)
        cursor.fetchall()
    return True


def raw(name, p):
    middle = p.start + (p.end - p.start) / 2
    with connection.cursor() as cursor:
        if name in ROLLUP_RAW and raw_over_rollup(name, p, cursor):
            return
        for sql in RAW[name]:
            if "{dim}" in sql:
                for dim in ("disqualify_reason_id", "coalesce(qualifier_id, first_called_by_id)", "source_id"):
                    cursor.execute(sql.replace("{dim}", dim), {"a": p.start, "b": p.end})
                    cursor.fetchall()
            elif "{group}" in sql:
                for group in ("", GROUPS.get(name, "")):
                    cursor.execute(sql.replace("{group}", group), {"a": p.start, "b": p.end, "m": middle})
                    cursor.fetchall()
            else:
                cursor.execute(sql, {"a": p.start, "b": p.end, "m": middle})
                cursor.fetchall()


def page(name, p):
    from reports import pages
    from reports.selectors import Period, ReportFilter, Scope

    f, scope = ReportFilter(period=p), Scope()
    if name == "funnel":
        return pages.funnel_page(report_filter=f, scope=scope, group_by="qualifier")
    if name == "speed":
        return pages.speed_page(report_filter=f, scope=scope, group_by="qualifier")
    if name == "handoff":
        return pages.handoff_page(report_filter=f, scope=scope)
    if name == "sales":
        return pages.sales_page(report_filter=f, scope=scope)
    if name == "economics":
        return pages.economics_page(report_filter=f, scope=scope)
    if name == "disqualified":
        return pages.disqualified_page(report_filter=f, scope=scope)
    if name == "sources":
        return pages.source_economics_page(report_filter=f, scope=scope)
    middle = p.start + (p.end - p.start) / 2
    return pages.pilot_page(
        period_a=Period(p.start, middle), period_b=Period(middle, p.end), report_filter=f, scope=scope
    )


def _from_rollup(result):
    """Whether the page read the rollup: it then says so next to its medians (reports.pages.ROLLUP_NOTE)."""
    from reports.pages import ROLLUP_NOTE

    return any(str(ROLLUP_NOTE) in (table.note or "") for table in result.get("tables", []))


def main():
    if connection.vendor != "postgresql":
        print("reports_bench needs PostgreSQL: set DATABASE_URL=postgres://…/leadflow_bench")
        return 1
    setup_data()
    setup_spend()
    build_rollup()
    from django.utils import timezone

    from leadflow.models import Lead

    timezone.activate(MSK)
    total = Lead.objects.count()
    periods = {
        "year": period(START, datetime(2025, 1, 1, tzinfo=MSK)),
        "month": period(datetime(2024, 6, 1, tzinfo=MSK), datetime(2024, 7, 1, tzinfo=MSK)),
    }
    print(f"{total:,} leads; min / median / max of {RUNS} rounds; page = selectors + tables, "
          "SQL = the same aggregates by hand (over the rollup where the page reads it)")  # fmt: skip
    header = f"{'page':<13} {'period':<6} {'reads':<7} {'page min/med/max, s':>21} {'SQL min/med/max, s':>21} {'ratio':>6}  target"
    print(header)
    for name in ("funnel", "speed", "handoff", "sales", "economics", "pilot", "disqualified", "sources"):
        for label, p in periods.items():
            result = page(name, p)  # warm the cache the same way for both
            reads = "rollup" if _from_rollup(result) else "raw"
            t_page = rounds(lambda name=name, p=p: page(name, p))
            t_raw = rounds(lambda name=name, p=p: raw(name, p))
            med_page, med_raw = t_page[len(t_page) // 2], t_raw[len(t_raw) // 2]
            ratio = med_page / med_raw if med_raw else float("inf")
            ok = max(t_page) < 1.0 and ratio <= 3.0
            spread = lambda t: f"{t[0]:.3f}/{t[len(t) // 2]:.3f}/{t[-1]:.3f}"  # noqa: E731
            print(f"{name:<13} {label:<6} {reads:<7} {spread(t_page):>21} {spread(t_raw):>21} {ratio:>6.2f}  {'ok' if ok else 'MISSED'}")  # fmt: skip
            summary(
                f"dashboard {name}, {label}, {total:,} leads ({reads})",
                f"{spread(t_page)} s",
                reference=f"same aggregates by hand {spread(t_raw)} s",
                ratio=f"{ratio:.2f}×",
                target="< 1 s, ≤ 3× SQL",
                met=ok,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
