"""The daily rollup (issue 13 §4): a generated year read through the rollup gives exactly the raw
counts and sums, medians within 1 %, stays current after a change, and today always comes from raw."""

import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Source
from reports import pages, rollup
from reports.selectors import Period, ReportFilter, Scope
from reports.selectors.funnel import STAGE_TIMES, funnel, lead_base, won_revenue
from sales.services.deals import lead_win
from tests.factories import TeamFactory, make_user, qualification_team, sales_team

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2025, 12, 15, 14, 0, tzinfo=MSK)
YEAR = Period(datetime(2025, 1, 1, tzinfo=MSK), datetime(2026, 1, 1, tzinfo=MSK))  # up to today: the rest is raw
PAST_YEAR = Period(datetime(2024, 12, 1, tzinfo=MSK), datetime(2025, 12, 1, tzinfo=MSK))  # whole held months
MONTH = Period(datetime(2025, 6, 1, tzinfo=MSK), datetime(2025, 7, 1, tzinfo=MSK))
COUNT_KEYS = ["received", "called", "qualified", "handed_off", "accepted", "measured", "won", "revenue"]
MEDIANS = [key for key, *_rest in STAGE_TIMES] + ["cycle_p50"]
GROUPS = ["team", "qualifier", "source", "region"]


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def generate_year(count=1500, seed=13):
    """`count` leads over the 380 days before NOW (and a few today), every stage, credit, source,
    region and two qualification teams; a sales team's rep also takes leads of the other team."""
    rng = random.Random(seed)
    teams = [qualification_team(), TeamFactory(name="Квалификация 2")]
    sales = sales_team()
    qualifiers = [make_user(roles.QUALIFIER, team=teams[i % 2], username=f"rq{i}") for i in range(6)]
    reps = [make_user(roles.SALES_REP, team=sales, username=f"rr{i}") for i in range(3)]
    stray_rep = make_user(roles.SALES_REP, team=teams[1], username="rr_stray")  # a rep in a qualification team
    sources = list(Source.objects.all()[:4])
    leads = []
    for i in range(count):
        received = NOW - timedelta(days=380) + timedelta(seconds=rng.randrange(380 * 86400))
        if i < 20:
            received = NOW - timedelta(minutes=rng.randrange(1, 600))  # today
        team = teams[i % 2]
        q = rng.choice(qualifiers)
        lead = {
            "phone": f"+7900{i:07d}",
            "source": rng.choice(sources),
            "qualification_team": team,
            "region": rng.choice(["Москва", "Московская область", "", "Тверь"]),
            "received_at": received,
            "product_interest": "custom",
        }
        stage = rng.random()
        t = received
        if stage > 0.05:
            t += timedelta(seconds=rng.choice([0, rng.uniform(1, 3600), rng.uniform(60, 30 * 3600)]))
            lead["claimed_at"] = t - timedelta(seconds=rng.uniform(0, 120))
            lead["first_call_at"] = t
            lead["first_called_by"] = q if rng.random() < 0.9 else None
            lead["qualifier"] = q if rng.random() < 0.5 else None
        status = LeadStatus.NEW if stage <= 0.05 else LeadStatus.QUALIFYING
        if stage > 0.3:
            t += timedelta(seconds=rng.uniform(30, 86400 * 3))
            lead["qualified_at"] = t
            lead["qualified_by"] = q if rng.random() < 0.85 else None
            status = LeadStatus.QUALIFIED
        elif stage > 0.15:
            lead["disqualified_at"] = t + timedelta(minutes=5)
            status = LeadStatus.DISQUALIFIED
        if stage > 0.45:
            t += timedelta(seconds=rng.uniform(10, 7200))
            lead["handed_off_at"] = t
            lead["sales_rep"] = stray_rep if rng.random() < 0.1 else rng.choice(reps)
            status = LeadStatus.HANDED_OFF
        if stage > 0.55:
            t += timedelta(hours=rng.uniform(0.1, 30))
            lead["accepted_at"] = t
        if stage > 0.65:
            t += timedelta(days=rng.uniform(0.5, 20))
            lead["measured_at"] = t
            status = LeadStatus.MEASURED
        if stage > 0.75:
            t += timedelta(days=rng.uniform(1, 60))
            lead["closed_at"] = t
            won = rng.random() < 0.6
            status = LeadStatus.WON if won else LeadStatus.LOST
            if won:
                lead["deal_amount"] = Decimal(rng.randrange(100_000, 900_000)) + Decimal("0.50")
        lead["status"] = status
        lead = Lead(**lead)
        leads.append(lead)
    Lead.objects.bulk_create(leads)
    # a merged duplicate never counts
    Lead.objects.filter(pk=leads[-1].pk).update(merged_into=leads[-2].pk)
    settled()
    return {"teams": teams, "sales": sales, "qualifiers": qualifiers}


def settled():
    """The generated leads were last changed an hour ago: a rollup built now holds their months (a
    lead changed within rollup.CHANGE_OVERLAP of the refresh keeps its month raw)."""
    Lead.objects.update(updated_at=NOW - timedelta(hours=1))


def comparable(result, group_by):
    field = {"team": "qualification_team_id", "qualifier": "credited_id", "source": "source_id", "region": "region"}
    rows = {row[field[group_by]]: row for row in result["rows"]}
    return result["total"], rows


def assert_same(raw, approx, group_by):
    raw_total, raw_rows = comparable(raw, group_by)
    total, rows = comparable(approx, group_by)
    assert {key: total[key] for key in COUNT_KEYS} == {key: raw_total[key] for key in COUNT_KEYS}
    assert set(rows) == set(raw_rows)
    for value, row in rows.items():
        assert {key: row[key] for key in COUNT_KEYS} == {key: raw_rows[value][key] for key in COUNT_KEYS}, value
        assert_close(row["cycle_p50"], raw_rows[value]["cycle_p50"])
    for key in MEDIANS:
        assert_close(total[key], raw_total[key])


def assert_close(value, exact):
    if exact is None:
        assert value is None
        return
    assert value is not None
    assert abs(value - exact) <= rollup.MAX_RELATIVE_ERROR * abs(exact) + 1e-6, (value, exact)


def scopes(data):
    team = data["teams"][1]
    return [
        ("director", Scope(), None),
        ("director, team filter", Scope(), team.pk),
        ("director, sales team filter", Scope(), data["sales"].pk),
        (
            "qualification lead",
            Scope(
                lead_q=__import__("django.db.models", fromlist=["Q"]).Q(qualification_team_id=team.pk),
                team_ids=frozenset({team.pk}),
            ),
            None,
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("period", [MONTH, PAST_YEAR, YEAR], ids=["month", "past-year", "year-to-date"])
def test_funnel_from_rollup_equals_raw(now, period):
    data = generate_year()
    rollup.rollup_rebuild()
    for _name, scope, team_id in scopes(data):
        report_filter = ReportFilter(period=period, team_id=team_id)
        for group_by in GROUPS:
            plan = rollup.funnel_plan(report_filter=report_filter, scope=scope, group_by=group_by)
            assert plan is not None
            leads = lead_base(report_filter=report_filter, scope=scope)
            raw = funnel(leads=leads, group_by=group_by)
            approx = funnel(leads=leads, group_by=group_by, plan=plan)
            assert approx["from_rollup"]
            assert_same(raw, approx, group_by)


@pytest.mark.django_db
def test_percentile_from_histogram_within_one_percent():
    from leadflow.db import percentile_cont

    rng = random.Random(1)
    values = [rng.lognormvariate(6, 2) for _ in range(5000)] + [0.0, 0.0]
    counts = {}
    for value in values:
        bucket = (
            rollup.ZERO_BUCKET
            if value == 0
            else int(
                __import__("math").floor(__import__("math").log(value) / __import__("math").log(rollup.BUCKET_RATIO))
            )
        )
        counts[bucket] = counts.get(bucket, 0) + 1
    for fraction in (0.1, 0.5, 0.9):
        exact = percentile_cont(values, fraction)
        assert abs(rollup.histogram_percentile(counts, fraction) - exact) <= rollup.MAX_RELATIVE_ERROR * exact


@pytest.mark.django_db
def test_a_lead_won_today_updates_its_old_day_after_the_incremental_task(now):
    data = generate_year(count=400)
    rollup.rollup_rebuild()
    old = Lead.objects.filter(
        received_at__lt=NOW - timedelta(days=120), status=LeadStatus.MEASURED, sales_rep__isnull=False
    ).first()
    before = (
        lead_base(report_filter=ReportFilter(period=PAST_YEAR), scope=Scope()).filter(status=LeadStatus.WON).count()
    )
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):  # won today, through the service
        lead_win(
            lead_id=old.pk,
            actor=old.sales_rep,
            deal_amount=Decimal("777777.00"),
            deal_date=NOW.date(),
            confirm_unusual_amount=True,
        )
    from reports.tasks import rollup_refresh

    rollup_refresh()
    report_filter = ReportFilter(period=PAST_YEAR)
    leads = lead_base(report_filter=report_filter, scope=Scope())
    plan = rollup.funnel_plan(report_filter=report_filter, scope=Scope(), group_by="qualifier")
    from_rollup = funnel(leads=leads, group_by="qualifier", plan=plan)
    assert from_rollup["total"]["won"] == before + 1
    assert_same(funnel(leads=leads, group_by="qualifier"), from_rollup, "qualifier")
    assert data


@pytest.mark.django_db
def test_the_current_month_comes_from_raw(now):
    generate_year(count=300)
    rollup.rollup_rebuild()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        Lead.objects.create(
            phone="+79990000001",
            source=Source.objects.first(),
            qualification_team=qualification_team(),
            received_at=NOW + timedelta(minutes=30),
        )
        report_filter = ReportFilter(period=YEAR)
        plan = rollup.funnel_plan(report_filter=report_filter, scope=Scope(), group_by="team")
        assert plan.end_month == NOW.date().replace(day=1)
        leads = lead_base(report_filter=report_filter, scope=Scope())
        approx = funnel(leads=leads, group_by="team", plan=plan)
        assert approx["total"]["received"] == leads.count()


@pytest.mark.django_db
def test_page_reads_the_rollup_and_says_the_error_bound(now):
    generate_year(count=300)
    report_filter = ReportFilter(period=PAST_YEAR)
    page = pages.funnel_page(report_filter=report_filter, scope=Scope(), group_by="qualifier")
    assert "±" not in page["tables"][3].note and "1 %" not in page["tables"][3].note
    rollup.rollup_rebuild()
    page = pages.funnel_page(report_filter=report_filter, scope=Scope(), group_by="qualifier")
    assert "1 %" in page["tables"][3].note
    with CaptureQueriesContext(connection) as small:
        pages.funnel_page(report_filter=report_filter, scope=Scope(), group_by="qualifier")
    generate_year(count=300, seed=14)
    rollup.rollup_rebuild()
    pages.funnel_page(report_filter=report_filter, scope=Scope(), group_by="qualifier")  # reads the new state
    with CaptureQueriesContext(connection) as big:
        pages.funnel_page(report_filter=report_filter, scope=Scope(), group_by="qualifier")
    assert len(big) == len(small)


@pytest.mark.django_db
def test_person_source_region_filters_and_a_sales_manager_read_raw(now):
    from django.db.models import Q

    data = generate_year(count=100)
    rollup.rollup_rebuild()
    for report_filter in (
        ReportFilter(period=PAST_YEAR, person_id=data["qualifiers"][0].pk),
        ReportFilter(period=PAST_YEAR, source_id=Source.objects.first().pk),
        ReportFilter(period=PAST_YEAR, region="Москва"),
    ):
        assert rollup.funnel_plan(report_filter=report_filter, scope=Scope(), group_by="team") is None
    manager = Scope(
        lead_q=Q(qualification_team__sales_team_id=data["sales"].pk) | Q(sales_rep__profile__team_id=data["sales"].pk),
        team_ids=frozenset({data["sales"].pk}),
    )
    assert rollup.funnel_plan(report_filter=ReportFilter(period=PAST_YEAR), scope=manager, group_by="team") is None
    assert (
        rollup.funnel_plan(report_filter=ReportFilter(period=PAST_YEAR), scope=Scope(), group_by="criterion:budget")
        is None
    )


SPEED_GROUPS = ["team", "qualifier", "source", "hour"]
SPEED_COUNTS = ["leads", "called", "decided", "within_warn", "within_breach"]
SPEED_PERCENTILES = ["first_call_p50", "first_call_p90", "system_p50", "system_p90", "people_p50", "people_p90"]


def assert_same_speed(raw, approx, group_by):
    from reports.selectors.speed import ROLLUP_GROUP

    field = ROLLUP_GROUP[group_by][1]

    def same(row, exact):
        assert {key: row[key] for key in SPEED_COUNTS} == {key: exact[key] for key in SPEED_COUNTS}
        for key in SPEED_PERCENTILES:
            assert_close(row[key], exact[key])

    same(approx["total"], raw["total"])
    rows = {row[field]: row for row in approx["rows"]}
    raw_rows = {row[field]: row for row in raw["rows"]}
    assert set(rows) == set(raw_rows)
    for value, row in rows.items():
        same(row, raw_rows[value])
        assert row["label"] == raw_rows[value]["label"]
    assert set(approx["heatmap"]) == set(raw["heatmap"])
    for cell, values in approx["heatmap"].items():
        assert values["leads"] == raw["heatmap"][cell]["leads"]
        assert_close(values["p50_min"], raw["heatmap"][cell]["p50_min"])
    assert [row["week"] for row in approx["trend"]] == [row["week"] for row in raw["trend"]]
    for row, exact in zip(approx["trend"], raw["trend"], strict=True):
        same(row, exact)


@pytest.mark.django_db
@pytest.mark.parametrize("period", [MONTH, PAST_YEAR, YEAR], ids=["month", "past-year", "year-to-date"])
def test_speed_from_rollup_equals_raw(now, period):
    from reports.selectors.speed import speed

    data = generate_year()
    rollup.rollup_rebuild()
    for _name, scope, team_id in scopes(data):
        report_filter = ReportFilter(period=period, team_id=team_id)
        for group_by in SPEED_GROUPS:
            plan = rollup.speed_plan(report_filter=report_filter, scope=scope, group_by=group_by)
            assert plan is not None
            leads = lead_base(report_filter=report_filter, scope=scope)
            approx = speed(leads=leads, group_by=group_by, plan=plan)
            assert approx["from_rollup"]
            assert_same_speed(speed(leads=leads, group_by=group_by), approx, group_by)


@pytest.mark.django_db
def test_speed_reads_raw_while_a_held_lead_is_still_to_be_decided(now):
    from reports.selectors.speed import speed

    generate_year(count=200)
    Lead.objects.create(
        phone="+79990000002",
        source=Source.objects.first(),
        qualification_team=qualification_team(),
        received_at=datetime(2025, 11, 30, 23, 0, tzinfo=MSK),
        sla_breach_at=NOW + timedelta(hours=2),  # a closed-hours deadline still to come
    )
    settled()
    rollup.rollup_rebuild()
    report_filter = ReportFilter(period=PAST_YEAR)
    plan = rollup.speed_plan(report_filter=report_filter, scope=Scope(), group_by="team")
    leads = lead_base(report_filter=report_filter, scope=Scope())
    result = speed(leads=leads, group_by="team", plan=plan)
    assert "from_rollup" not in result
    assert result["total"]["decided"] == speed(leads=leads, group_by="team")["total"]["decided"]


@pytest.mark.django_db
def test_pilot_from_rollup_equals_raw_when_both_cohorts_are_mature(now):
    from reports.selectors import pilot
    from reports.selectors.pilot import pilot_comparison

    data = generate_year()
    first = Period(datetime(2024, 12, 1, tzinfo=MSK), datetime(2025, 3, 1, tzinfo=MSK))
    second = Period(datetime(2025, 3, 1, tzinfo=MSK), datetime(2025, 8, 1, tzinfo=MSK))
    cases = [(scope, ReportFilter(period=first, team_id=team_id)) for _name, scope, team_id in scopes(data)]
    raws = [pilot_comparison(period_a=first, period_b=second, report_filter=f, scope=scope) for scope, f in cases]
    rollup.rollup_rebuild()
    for (scope, report_filter), raw in zip(cases, raws, strict=True):
        approx = pilot_comparison(period_a=first, period_b=second, report_filter=report_filter, scope=scope)
        assert approx["from_rollup"] and not raw["from_rollup"]
        for side in ("a", "b"):
            for key in ("leads", "warn_share", "qualified_rate", "measured_rate", "won_rate", "won", "revenue"):
                assert approx[side][key] == raw[side][key], (side, key)
            for key in ("first_call_p50_min", "first_call_p90_min"):
                assert_close(approx[side][key], raw[side][key])
    # an immature cohort compares at a common horizon: only raw knows each lead's age
    young = Period(datetime(2025, 11, 1, tzinfo=MSK), datetime(2025, 12, 1, tzinfo=MSK))
    assert pilot.maturity(first, young, NOW)["horizon"] is not None
    result = pilot_comparison(period_a=first, period_b=young, report_filter=ReportFilter(period=first), scope=Scope())
    assert not result["from_rollup"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["funnel", "speed"])
def test_the_page_says_the_error_bound_in_russian_only_when_it_read_the_rollup(client, now, page):
    from django.urls import reverse

    generate_year(count=200)
    director = make_user(roles.DIRECTOR, team=None, username="rollup_director")
    client.force_login(director)
    url = reverse(f"reports:{page}")
    year = {"preset": "custom", "start": "2024-12-01", "end": "2025-11-30"}
    bound = "погрешность ≤ 1 %"
    assert bound not in client.get(url, year).content.decode()
    rollup.rollup_rebuild()
    content = client.get(url, year).content.decode()
    assert bound in content
    assert bound not in client.get(url, {**year, "start": "2025-11-03"}).content.decode()  # no whole month


@pytest.mark.django_db
def test_rebuild_command_builds_the_last_days_and_then_everything(now):
    from django.core.management import call_command

    generate_year(count=200)
    call_command("rebuild_report_rollup", "--days", "40", verbosity=0)
    state = rollup.RollupState.objects.get()
    assert (state.covered_from, state.covered_until) == (NOW.date() - timedelta(days=40), NOW.date())
    assert rollup.funnel_plan(report_filter=ReportFilter(period=PAST_YEAR), scope=Scope(), group_by="team") is None
    call_command("rebuild_report_rollup", verbosity=0)
    plan = rollup.funnel_plan(report_filter=ReportFilter(period=PAST_YEAR), scope=Scope(), group_by="team")
    assert (plan.first_month, plan.end_month) == (PAST_YEAR.start.date(), PAST_YEAR.end.date())


@pytest.mark.django_db
@pytest.mark.parametrize("period", [MONTH, PAST_YEAR, YEAR], ids=["month", "past-year", "year-to-date"])
def test_the_cohort_won_and_revenue_from_rollup_equal_raw(now, period):
    """The sales page's "won (cohort)" beside its won by deal date: from the rollup, the same sums."""
    from reports.selectors.funnel import won_revenue_leads
    from reports.selectors.sales import sales_per_rep

    data = generate_year()
    cases = [(scope, ReportFilter(period=period, team_id=team_id)) for _name, scope, team_id in scopes(data)]
    raws = [won_revenue_leads(report_filter=f, scope=scope, basis="cohort") for scope, f in cases]
    raws = [leads.aggregate(won=Count("pk"), revenue=Sum("deal_amount")) for leads in raws]
    sales_before = sales_per_rep(report_filter=ReportFilter(period=period), scope=Scope())
    rollup.rollup_rebuild()
    for (scope, report_filter), raw in zip(cases, raws, strict=True):
        assert rollup.rollup_plan(report_filter=report_filter, scope=scope) is not None
        assert won_revenue(report_filter=report_filter, scope=scope, basis="cohort") == raw
    assert sales_per_rep(report_filter=ReportFilter(period=period), scope=Scope()) == sales_before


@pytest.mark.django_db
def test_the_pilot_page_says_the_error_bound_when_both_periods_come_from_the_rollup(client, now):
    from django.urls import reverse

    generate_year(count=200)
    client.force_login(make_user(roles.DIRECTOR, team=None, username="rollup_pilot_director"))
    periods = {"a_start": "2024-12-01", "a_end": "2025-02-28", "b_start": "2025-03-01", "b_end": "2025-07-31"}
    bound = "погрешность ≤ 1 %"
    assert bound not in client.get(reverse("reports:pilot"), periods).content.decode()
    rollup.rollup_rebuild()
    assert bound in client.get(reverse("reports:pilot"), periods).content.decode()
