"""The criteria page and its rule what-if from the rollup (issue 17 §3, speed at 1,000,000 leads): the held
days read from CriteriaDailyRollup plus the rest computed raw give exactly the raw figures, for any
period, team filter and scope; a change since the last refresh is never hidden by a held day."""

import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Reason, Source, Team
from qualification.models import Criterion, LeadAnswer
from reports import rollup
from reports.models import CriteriaDailyRollup
from reports.selectors import Period, ReportFilter, Scope
from reports.selectors.criteria import PAGE_SUMS, Rule, criteria_outcomes, rule_effect
from sales.models import Dispute, Visit
from tests.factories import TeamFactory, kitchen_checklist, make_user, qualification_team, sales_team

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2025, 6, 20, 15, 30, tzinfo=MSK)
PERIODS = {
    "last-30-days": Period(NOW - timedelta(days=30), NOW),  # not at day boundaries: part days come from raw
    "april": Period(datetime(2025, 4, 1, tzinfo=MSK), datetime(2025, 5, 1, tzinfo=MSK)),
    "everything": Period(NOW - timedelta(days=400), NOW + timedelta(days=1)),
}


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def generate(count=700, seed=5, tag=""):
    """`count` leads over the 100 days before NOW (a few today) in two qualification teams, every outcome:
    disqualified (some bought later under the same phone, some re-opened and won), handed off, measured
    with and without a done visit, won, disputes upheld (the hand-off undone) and rejected; the kitchen
    checklist's answers for most of them."""
    rng = random.Random(seed)
    checklist = kitchen_checklist()
    criteria = {c.code: c for c in Criterion.objects.filter(checklist=checklist)}
    teams = [
        qualification_team(),
        Team.objects.filter(name="Квалификация 2").first() or TeamFactory(name="Квалификация 2"),
    ]
    reps = [make_user(roles.SALES_REP, team=sales_team(), username=f"crr{tag}{i}") for i in range(2)]
    stray = make_user(roles.SALES_REP, team=teams[1], username=f"crr{tag}_stray")  # a rep in a qualification team
    sources = list(Source.objects.all()[:3])
    leads = []
    for i in range(count):
        received = NOW - timedelta(days=100) + timedelta(seconds=rng.randrange(100 * 86400))
        if i < 15:
            received = NOW - timedelta(minutes=rng.randrange(1, 900))  # today
        lead = {
            "phone": f"+7903{rng.randrange(count // 2):07d}",  # half the phones come back
            "source": rng.choice(sources),
            "qualification_team": rng.choice(teams),
            "received_at": received,
            "region": rng.choice(["Москва", "Москва", "Московская область", ""]),
            "product_interest": rng.choice(["custom", "modular", ""]),
            "utm_campaign": rng.choice(["", "kuhni-vesna", "brand"]),
        }
        path = rng.random()
        if path < 0.3:
            lead |= {"status": LeadStatus.DISQUALIFIED, "disqualified_at": received + timedelta(hours=1)}
            if rng.random() < 0.1:  # re-opened later and won
                lead |= {"status": LeadStatus.WON, "deal_amount": Decimal(rng.randrange(200, 900) * 1000)}
        elif path < 0.85:
            lead |= {"handed_off_at": received + timedelta(hours=1), "sales_rep": rng.choice([*reps, stray])}
            lead["status"] = LeadStatus.HANDED_OFF
            if rng.random() < 0.6:
                lead |= {"status": LeadStatus.MEASURED, "measured_at": received + timedelta(days=2)}
                if rng.random() < 0.45:
                    lead |= {"status": LeadStatus.WON, "deal_amount": Decimal(rng.randrange(200, 900) * 1000)}
        lead = Lead(**lead)
        leads.append(lead)
    leads = Lead.objects.bulk_create(leads)
    leads = list(Lead.objects.filter(pk__in=[lead.pk for lead in leads]))
    answers, visits, disputes = [], [], []
    reason = Reason.objects.filter(kind=Reason.Kind.DISPUTE).first()
    for lead in leads:
        if rng.random() < 0.8:
            values = {
                "product_type": rng.choice(["custom", "custom", "modular"]),
                "budget": rng.choice([90_000, 150_000, 200_000, 250_000, 300_000, 450_000, 800_000]),
                "timeline": rng.choice([0, 1, 2, 3, 6, 9, 12, 18]),
                "decision_maker": rng.random() < 0.7,
            }
            for code, value in values.items():
                if code in criteria and rng.random() < 0.9:
                    answers.append(
                        LeadAnswer(lead=lead, criterion=criteria[code], checklist_version=1, value=value, passed=True)
                    )
        if lead.handed_off_at and rng.random() < 0.15:
            upheld = rng.random() < 0.5
            disputes.append(
                Dispute(
                    lead=lead,
                    reason=reason,
                    comment="не целевой",
                    raised_by=lead.sales_rep,
                    sales_rep=lead.sales_rep,
                    decision=Dispute.Decision.UPHELD if upheld else Dispute.Decision.REJECTED,
                    decided_at=lead.handed_off_at + timedelta(days=1),
                )
            )
            if upheld:  # the hand-off was undone: still a hand-off of the criteria page
                Lead.objects.filter(pk=lead.pk).update(handed_off_at=None, status=LeadStatus.QUALIFYING)
        if lead.measured_at and rng.random() < 0.8:
            start = lead.measured_at - timedelta(hours=3)
            for status in (Visit.Status.DONE,) * rng.choice([1, 1, 2]) + (Visit.Status.CANCELLED,) * rng.randint(0, 1):
                visits.append(
                    Visit(
                        lead=lead,
                        rep=lead.sales_rep,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=rng.choice([60, 90, 150])),
                        address="Москва",
                        status=status,
                    )
                )
    LeadAnswer.objects.bulk_create(answers)
    Visit.objects.bulk_create(visits)
    Dispute.objects.bulk_create(disputes)
    Lead.objects.update(updated_at=NOW - timedelta(hours=1))  # changed before the rollup is built
    Visit.objects.update(updated_at=NOW - timedelta(hours=1))
    return {"teams": teams, "reps": reps, "stray": stray, "sources": sources}


def scopes(data):
    team = data["teams"][0]
    lead_of_team = Scope(lead_q=Q(qualification_team_id=team.pk), team_ids=frozenset({team.pk}))
    return {
        "director": (Scope(), None),
        "director, team 2 (and its rep's leads of team 1)": (Scope(), data["teams"][1].pk),
        "qualification lead": (lead_of_team, None),
    }


def comparable(result):
    fields = (*PAGE_SUMS, "label", "dim", "verdict", "low", "high", "rest_rate", "comeback_rate")
    groups = {
        group["key"]: [{name: row[name] for name in fields} for row in group["rows"]] for group in result["groups"]
    }
    return {"total": {name: result["total"][name] for name in PAGE_SUMS}, "groups": groups}


def raw(monkeypatch, fn, **kwargs):
    with monkeypatch.context() as patch:
        patch.setattr(rollup, "day_plan", lambda **_kw: None)
        return fn(**kwargs)


@pytest.mark.django_db
def test_page_from_rollup_equals_raw(now, monkeypatch):
    data = generate()
    rollup.rollup_rebuild()
    assert CriteriaDailyRollup.objects.filter(dimension="q:budget").exists()
    for period_name, period in PERIODS.items():
        for scope_name, (scope, team_id) in scopes(data).items():
            report_filter = ReportFilter(period=period, team_id=team_id)
            exact = raw(monkeypatch, criteria_outcomes, report_filter=report_filter, scope=scope)
            assert not exact["from_rollup"]
            fast = criteria_outcomes(report_filter=report_filter, scope=scope)
            assert fast["from_rollup"], (period_name, scope_name)
            assert comparable(fast) == comparable(exact), (period_name, scope_name)
            assert exact["total"]["leads"] > 0 and exact["total"]["comeback"] > 0


RULES = [
    ("q:budget", "lt", (250_000.0,)),
    ("q:budget", "ge", (300_000.0,)),
    ("q:timeline", "gt", (6.0,)),
    ("q:timeline", "eq", (3.0,)),
    ("q:timeline", "ne", (3.0,)),
    ("q:product_type", "eq", ("modular",)),
    ("q:product_type", "ne", ("custom",)),
    ("q:product_type", "in", ("custom", "modular")),
    ("q:decision_maker", "eq", (False,)),
    ("a:region", "in", ("Москва", "")),
    ("a:utm_campaign", "ne", ("brand",)),
    ("a:product_interest", "eq", ("modular",)),
]


@pytest.mark.django_db
def test_rule_effect_from_rollup_equals_raw(now, monkeypatch):
    data = generate()
    rollup.rollup_rebuild()
    rules = [*RULES, ("a:source", "eq", (data["sources"][0].pk,)), ("a:source", "ne", (data["sources"][1].pk,))]
    for target, operator, values in rules:
        for months in (1, 3):
            rule = Rule(target=target, operator=operator, values=values, action="disqualify", months=months)
            for scope_name, (scope, _team) in scopes(data).items():
                for team_id in (None, data["teams"][0].pk):
                    exact = raw(monkeypatch, rule_effect, rule=rule, scope=scope, team_id=team_id)
                    fast = rule_effect(rule=rule, scope=scope, team_id=team_id)
                    assert fast.pop("from_rollup") and not exact.pop("from_rollup")
                    case = (target, operator, months, scope_name, team_id)
                    assert fast.pop("hours_saved") == pytest.approx(exact.pop("hours_saved")), case
                    assert fast == exact, case
    assert exact["caught"] > 0 and exact["handoffs_removed"] > 0


@pytest.mark.django_db
def test_a_win_since_the_refresh_is_read_raw_until_the_refresh(now, monkeypatch):
    generate()
    rollup.rollup_rebuild()
    old = Lead.objects.filter(status=LeadStatus.DISQUALIFIED, received_at__lt=NOW - timedelta(days=20)).first()
    period = PERIODS["everything"]
    before = criteria_outcomes(report_filter=ReportFilter(period=period), scope=Scope())["total"]["comeback"]
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        Lead.objects.create(  # the same client came back today and bought: the old lead "bought later"
            phone=old.phone,
            source=old.source,
            qualification_team=qualification_team(),
            received_at=NOW - timedelta(days=1),
            status=LeadStatus.WON,
            deal_amount=Decimal("500000"),
        )
        report_filter = ReportFilter(period=period)
        plan = rollup.day_plan(start=period.start, end=period.end, scope=Scope())
        old_day = old.received_at.astimezone(MSK).date()
        assert old_day in plan.stale
        fast = criteria_outcomes(report_filter=report_filter, scope=Scope())
        assert fast["total"]["comeback"] == before + 1
        assert comparable(fast) == comparable(
            raw(monkeypatch, criteria_outcomes, report_filter=report_filter, scope=Scope())
        )
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):  # the refresh, past its 10-minute overlap
        rollup.rollup_refresh()
        plan = rollup.day_plan(start=period.start, end=period.end, scope=Scope())
        assert not plan.stale
        assert CriteriaDailyRollup.objects.filter(day=old_day, dimension="total").values_list("comeback", flat=True)
        fast = criteria_outcomes(report_filter=report_filter, scope=Scope())
        assert fast["total"]["comeback"] == before + 1
        assert comparable(fast) == comparable(
            raw(monkeypatch, criteria_outcomes, report_filter=report_filter, scope=Scope())
        )


@pytest.mark.django_db
def test_a_person_source_or_region_filter_and_a_sales_manager_read_raw(now):
    data = generate(count=200)
    rollup.rollup_rebuild()
    period = PERIODS["everything"]
    for report_filter in (
        ReportFilter(period=period, source_id=data["sources"][0].pk),
        ReportFilter(period=period, region="Москва"),
        ReportFilter(period=period, person_id=data["reps"][0].pk),
    ):
        assert not criteria_outcomes(report_filter=report_filter, scope=Scope())["from_rollup"]
    manager = Scope(lead_q=Q(sales_rep__profile__team_id=1), team_ids=frozenset({1}))
    assert not criteria_outcomes(report_filter=ReportFilter(period=period), scope=manager)["from_rollup"]


@pytest.mark.django_db
def test_page_from_rollup_makes_the_same_queries_for_ten_times_the_leads(now):
    generate(count=150, seed=1)
    rollup.rollup_rebuild()
    report_filter = ReportFilter(period=PERIODS["everything"])
    criteria_outcomes(report_filter=report_filter, scope=Scope())  # the rollup state, cached for a minute
    with CaptureQueriesContext(connection) as small:
        criteria_outcomes(report_filter=report_filter, scope=Scope())
    generate(count=1500, seed=2, tag="b")
    rollup.rollup_rebuild()
    criteria_outcomes(report_filter=report_filter, scope=Scope())
    with CaptureQueriesContext(connection) as big:
        result = criteria_outcomes(report_filter=report_filter, scope=Scope())
    assert result["from_rollup"] and result["total"]["leads"] > 1500
    # stale days (2), the held rows, today's leads raw (2: grouped by attributes, answers by question and
    # value), the questions, the source names
    assert len(small) == len(big) == 7


@pytest.mark.django_db
def test_a_busy_big_database_shows_the_summary_as_of_its_refresh_and_says_so(now, monkeypatch, settings, client):
    """Past CRITERIA_STALE_RAW_LEADS leads on the changed days, those days are not re-read per request: the
    page shows the rollup as of its last refresh, says so in Russian, and is exact again after the refresh."""
    generate()
    rollup.rollup_rebuild()
    settings.CRITERIA_STALE_RAW_LEADS = 0
    old = Lead.objects.filter(status=LeadStatus.DISQUALIFIED, received_at__lt=NOW - timedelta(days=20)).first()
    period = PERIODS["everything"]
    report_filter = ReportFilter(period=period)
    before = criteria_outcomes(report_filter=report_filter, scope=Scope())
    assert before["as_of"] is None and before["lagging_days"] == 0
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        Lead.objects.create(
            phone=old.phone,
            source=old.source,
            qualification_team=qualification_team(),
            received_at=NOW - timedelta(days=1),
            status=LeadStatus.WON,
            deal_amount=Decimal("500000"),
        )
        lagging = criteria_outcomes(report_filter=report_filter, scope=Scope())
        assert lagging["as_of"] == NOW and lagging["lagging_days"] >= 2  # the old lead's day and yesterday
        assert lagging["total"]["comeback"] == before["total"]["comeback"]  # as of the refresh
        rule = Rule(target="q:timeline", operator="gt", values=(6.0,), action="disqualify", months=3)
        assert rule_effect(rule=rule, scope=Scope())["as_of"] == NOW
        client.force_login(make_user(roles.DIRECTOR, username="crit_director"))
        page = client.get("/reports/criteria/", {"preset": "custom", "start": "2024-06-01", "end": "2025-06-21"})
        assert page.status_code == 200
        text = page.content.decode()
        assert "по сводке на 15:30" in text and "Days before today" not in text
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        rollup.rollup_refresh()
        fresh = criteria_outcomes(report_filter=report_filter, scope=Scope())
        assert fresh["total"]["comeback"] == before["total"]["comeback"] + 1
        assert fresh["as_of"] is None
        exact = raw(monkeypatch, criteria_outcomes, report_filter=report_filter, scope=Scope())
        assert comparable(fresh) == comparable(exact)
