"""Criteria and outcomes (issue 17 §2): the statistics, the page on a data set with a known effect,
small samples, costly disqualifications, the rule what-if by hand, the promotion, who may see it."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Reason
from qualification.models import Checklist, Criterion, LeadAnswer
from reports import stats
from reports.drilldown import drilldown
from reports.models import CriteriaRule
from reports.selectors import ReportFilter, Scope
from reports.selectors.criteria import Rule, criteria_outcomes, rule_effect
from tests.factories import kitchen_checklist, make_user, qualification_team, source

from . import criteria_data
from .conftest import MARCH
from .dataset import at

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2025, 4, 10, 12, 0, tzinfo=MSK)
PAGE = "/reports/criteria/"
IN_MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}


# --- the statistics -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("won", "n", "low", "high"),
    [
        # Newcombe R. G. (1998), Two-sided confidence intervals for the single proportion: comparison of
        # seven methods, Statistics in Medicine 17: 857–872, Table II, method 3 (Wilson 1927, score
        # interval without continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(won, n, low, high):
    got_low, got_high = stats.wilson_interval(won, n)
    assert got_low == pytest.approx(low, abs=1e-4)
    assert got_high == pytest.approx(high, abs=1e-4)


def test_interval_verdict():
    # 2 of 40: Wilson 1.38–16.50 % — wholly below 40 %, not below 15 %
    assert stats.interval_verdict(2, 40, 24, 60, min_trials=30) == stats.BELOW
    assert stats.interval_verdict(2, 40, 9, 60, min_trials=30) == stats.WITHIN  # 15 % is inside
    assert stats.interval_verdict(24, 60, 2, 40, min_trials=30) == stats.ABOVE
    # 2 of 2 won is a naive 100 %, but under the minimum: no verdict at all
    assert stats.interval_verdict(2, 2, 24, 98, min_trials=30) == stats.TOO_FEW
    # nor against a rest of 2: 24 of 98 is not "below" a rest that won 2 of 2
    assert stats.interval_verdict(24, 98, 2, 2, min_trials=30) == stats.TOO_FEW


# --- the page on the hand-built data set ---------------------------------------------------------------


@pytest.fixture
def built(db):
    with time_machine.travel(NOW, tick=False):
        yield criteria_data.build()


def _rows(result, key):
    group = next(g for g in result["groups"] if g["key"] == key)
    return {row["dim"][1]: row for row in group["rows"]}


def test_known_effect_is_flagged(built):
    result = criteria_outcomes(report_filter=ReportFilter(period=MARCH), scope=Scope())
    assert result["total"]["handoffs"] == 100 and result["total"]["won"] == 26
    timeline = _rows(result, "q:timeline")
    long, short = timeline["3"], timeline["1"]  # bands 6–12 and 1–3 months
    assert (long["leads"], long["handoffs"], long["measured"], long["won"]) == (40, 40, 12, 2)
    assert long["win_rate"] == pytest.approx(0.05)
    assert long["rest_rate"] == pytest.approx(24 / 60)
    assert (long["low"], long["high"]) == (pytest.approx(0.0138, abs=1e-4), pytest.approx(0.1650, abs=1e-4))
    assert long["verdict"] == stats.BELOW and long["wasted"] and long["flagged"]
    assert long["revenue_per_handoff"] == pytest.approx(1_000_000 / 40)
    assert short["verdict"] == stats.ABOVE and not short["flagged"]


def test_two_of_two_won_says_not_enough_data(built, client):
    result = criteria_outcomes(report_filter=ReportFilter(period=MARCH), scope=Scope())
    modular = _rows(result, "q:product_type")['"modular"']
    assert (modular["handoffs"], modular["won"], modular["win_rate"]) == (2, 2, 1.0)
    assert modular["verdict"] == stats.TOO_FEW and not modular["flagged"]

    client.force_login(make_user(roles.DIRECTOR, username="boss"))
    with time_machine.travel(NOW, tick=False):
        body = client.get(PAGE, IN_MARCH).content.decode()
    table = body.split('data-testid="table-q-product-type"', 1)[1].split("</table>", 1)[0]
    row = next(part for part in table.split("<tr") if "Модульная / готовая" in part)
    assert "Недостаточно данных" in row
    assert "100" in row and "34,2" in row  # the naive rate is there, with its interval 34.2–100 %
    flags = body.split('data-testid="criteria-flags"', 1)[1].split("</div>", 1)[0]
    assert "Модульная" not in flags
    assert flags.count('data-testid="criteria-flag"') == 1 and "от 6 до 12\u00a0мес." in flags


def test_costly_disqualifications(db):
    """30 leads disqualified on budget 200 000 ₽: 6 came back from the same phone and bought; 30 others
    disqualified for 100 000 ₽ never did. The 200 000 ₽ band is flagged, the other is not."""
    checklist = kitchen_checklist()
    budget = Criterion.objects.get(checklist=checklist, code="budget")
    team, site = qualification_team(), source()
    no_budget = Reason.objects.get(kind=Reason.Kind.DISQUALIFY, code="no_budget")
    dropped, answers = [], []
    for i in range(60):
        dropped.append(
            Lead(
                phone=f"+7903000{i:04d}",
                source=site,
                qualification_team=team,
                received_at=at(3, 2 + i % 10, 10),
                status=LeadStatus.DISQUALIFIED,
                disqualified_at=at(3, 2 + i % 10, 11),
                disqualify_reason=no_budget,
                closed_at=at(3, 2 + i % 10, 11),
            )
        )
    Lead.objects.bulk_create(dropped)
    dropped = list(Lead.objects.order_by("phone"))
    for i, lead in enumerate(dropped):
        value = 200_000 if i < 30 else 100_000
        answers.append(LeadAnswer(lead=lead, criterion=budget, checklist_version=1, value=value, passed=False))
    LeadAnswer.objects.bulk_create(answers)
    Lead.objects.bulk_create(  # the comebacks: a later lead from the same phone, won
        Lead(
            phone=lead.phone,
            source=site,
            qualification_team=team,
            received_at=at(3, 25, 10),
            status=LeadStatus.WON,
            handed_off_at=at(3, 25, 12),
            closed_at=at(3, 28, 12),
            deal_amount=Decimal("300000"),
        )
        for lead in dropped[:6]
    )
    result = criteria_outcomes(report_filter=ReportFilter(period=MARCH), scope=Scope())
    bands = _rows(result, "q:budget")
    costly, cheap = bands["1"], bands["0"]  # 150–250 thousand, under 150
    assert (costly["disqualified"], costly["comeback"]) == (30, 6)
    assert costly["costly"] and costly["flagged"]
    assert (cheap["disqualified"], cheap["comeback"]) == (30, 0) and not cheap["costly"]
    listed = drilldown(
        figure="criteria.comeback",
        report_filter=ReportFilter(period=MARCH),
        scope=Scope(),
        group_by="q:budget",
        dim="1",
    )["leads"]
    assert sorted(listed.values_list("phone", flat=True)) == sorted(lead.phone for lead in dropped[:6])


def test_drilldown_lists_the_leads_counted(built):
    march = ReportFilter(period=MARCH)
    won = drilldown(figure="criteria.won", report_filter=march, scope=Scope(), group_by="q:timeline", dim="3")
    assert won["leads"].count() == 2
    modular = drilldown(
        figure="criteria.handoffs", report_filter=march, scope=Scope(), group_by="q:product_type", dim='"modular"'
    )
    assert modular["leads"].count() == 2 and "Модульная" in modular["row_label"]
    with pytest.raises(KeyError):
        drilldown(figure="criteria.won", report_filter=march, scope=Scope(), group_by="q:nope", dim="1")


def test_page_query_count_is_constant(built, django_assert_num_queries):
    march = ReportFilter(period=MARCH)
    # without a rollup: whether there is one (cached for a minute), the leads grouped by their attributes, the
    # answers grouped by question and value, the questions, the source names
    with django_assert_num_queries(5):
        criteria_outcomes(report_filter=march, scope=Scope())
    with django_assert_num_queries(4):
        criteria_outcomes(report_filter=march, scope=Scope())
    rule = Rule(target="q:timeline", operator="gt", values=(6.0,), action="nurture", months=6)
    with django_assert_num_queries(2):  # the leads grouped by their attributes, the timeline answers by value
        rule_effect(rule=rule, scope=Scope(), now=NOW)


# --- the what-if, by hand -------------------------------------------------------------------------------


def test_rule_effect_by_hand(built, settings):
    settings.CRITERIA_VISIT_HOURS = 1.5
    rule = Rule(target="q:timeline", operator="gt", values=(6.0,), action="nurture", months=2)
    effect = rule_effect(rule=rule, scope=Scope(), now=NOW)
    assert effect["leads"] == 100 and effect["handoffs"] == 100
    assert effect["handoffs_removed"] == 40
    assert effect["wins_lost"] == 2
    assert effect["revenue_at_risk"] == Decimal("1000000")
    assert effect["visits"] == 12  # 10 done visits + 2 measured without one
    assert effect["hours_saved"] == pytest.approx(10 * 2 + 2 * 1.5)
    assert effect["win_rate_kept"] == pytest.approx(24 / 60)
    # a month back from 10 May: March's leads are out of the window
    later = datetime(2025, 5, 10, 12, 0, tzinfo=MSK)
    assert rule_effect(rule=Rule("q:timeline", "gt", (6.0,), "nurture", 1), scope=Scope(), now=later)["leads"] == 0
    # ≥ 9 catches the same; = 2 the short ones; an attribute rule
    assert rule_effect(rule=Rule("q:timeline", "ge", (9.0,), "disqualify", 2), scope=Scope(), now=NOW)[
        "handoffs_removed"
    ] == (40)
    assert (
        rule_effect(rule=Rule("q:timeline", "eq", (2.0,), "disqualify", 2), scope=Scope(), now=NOW)["wins_lost"] == 24
    )
    modular = rule_effect(rule=Rule("q:product_type", "eq", ("modular",), "disqualify", 2), scope=Scope(), now=NOW)
    assert (modular["handoffs_removed"], modular["wins_lost"]) == (2, 2)
    website = rule_effect(rule=Rule("a:source", "ne", (source().pk,), "disqualify", 2), scope=Scope(), now=NOW)
    assert website["handoffs_removed"] == 0


def test_director_tries_a_rule_on_the_page(built, client):
    client.force_login(make_user(roles.DIRECTOR, username="boss"))
    query = {**IN_MARCH, "target": "q:timeline", "operator": "gt", "value": "6", "action": "nurture", "months": "3"}
    with time_machine.travel(NOW, tick=False):
        body = client.get(PAGE, query).content.decode()
    assert 'data-testid="whatif-handoffs">40<' in body
    assert 'data-testid="whatif-wins">2<' in body
    assert 'data-testid="promote"' in body
    # a typo keeps what was typed and says why, in Russian
    with time_machine.travel(NOW, tick=False):
        body = client.get(PAGE, {**query, "value": "шесть"}).content.decode()
    assert "Введите число." in body and 'value="шесть"' in body and 'data-testid="whatif"' not in body


# --- promotion ------------------------------------------------------------------------------------------


def test_promote_makes_the_new_checklist_version(built, client):
    director = make_user(roles.DIRECTOR, username="boss")
    client.force_login(director)
    v1 = built["checklist"]
    data = {"target": "q:timeline", "operator": "gt", "value": "6", "action": "nurture", "months": "3"}
    with time_machine.travel(NOW, tick=False):
        response = client.post("/reports/criteria/promote/", data)
    assert response.status_code == 302
    v1.refresh_from_db()
    v2 = Checklist.objects.get(team=v1.team, is_active=True)
    assert not v1.is_active and v2.version == 2
    assert (v2.based_on, v2.created_by) == (v1, director)
    assert "6" in v2.change_note and "→" in v2.change_note
    old = {c.code: c for c in v1.criteria.all()}
    new = {c.code: c for c in v2.criteria.all()}
    assert set(new) == set(old)
    assert new["timeline"].max_value == Decimal("6") and new["timeline"].min_value == old["timeline"].min_value
    assert old["timeline"].max_value == Decimal("12")  # the old version is untouched
    assert new["budget"].min_value == old["budget"].min_value and new["budget"].pk != old["budget"].pk
    # the answers given keep their version and their criterion
    assert set(LeadAnswer.objects.values_list("checklist_version", flat=True)) == {1}
    assert not LeadAnswer.objects.filter(criterion__checklist=v2).exists()
    rule = CriteriaRule.objects.get()
    assert (rule.created_by, rule.checklist, rule.team, rule.action) == (director, v2, v1.team, "nurture")
    assert rule.effect["handoffs_removed"] == 40 and rule.effect["wins_lost"] == 2
    with time_machine.travel(NOW, tick=False):
        body = client.get(PAGE, IN_MARCH).content.decode()
    assert 'data-testid="promoted-rule"' in body
    link = body.split('data-testid="pilot-link"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert "b_start=2025-04-10" in link and "a_end=2025-04-09" in link
    with time_machine.travel(NOW, tick=False):
        assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_promoting_choice_and_number_rules():
    """The pass rule that makes the rule's answers fail, per kind (no database)."""
    from qualification.services.checklist import _make_fail

    budget = Criterion(kind=Criterion.Kind.NUMBER, min_value=Decimal("250000"))
    _make_fail(budget, {"below": 300000})
    assert budget.min_value == Decimal("300000")
    timeline = Criterion(kind=Criterion.Kind.NUMBER, max_value=Decimal("12"))
    _make_fail(timeline, {"above_or_equal": 9})
    assert timeline.max_value == Decimal("8.99")
    product = Criterion(
        kind=Criterion.Kind.CHOICE,
        options=[{"value": "custom", "passes": True}, {"value": "modular", "passes": False}],
        required=False,
    )
    _make_fail(product, {"values": ["custom"]})
    assert [o["passes"] for o in product.options] == [False, False] and product.required
    decider = Criterion(kind=Criterion.Kind.YES_NO, pass_if_yes=True)
    _make_fail(decider, {"values": [True]})
    assert decider.pass_if_yes is False


def test_an_attribute_rule_is_not_promoted(built, client):
    client.force_login(make_user(roles.DIRECTOR, username="boss"))
    data = {"target": "a:region", "operator": "eq", "value": "Тверь", "action": "disqualify", "months": "3"}
    response = client.post("/reports/criteria/promote/", data)
    assert response.status_code == 302 and "target=a%3Aregion" in response["Location"]
    assert Checklist.objects.filter(is_active=True).count() == 1 and not CriteriaRule.objects.exists()


# --- who may see it -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.DIRECTOR, 200),
        (roles.QUALIFICATION_LEAD, 200),
        (roles.QUALIFIER, 403),
        (roles.SALES_REP, 403),
        (roles.SALES_MANAGER, 403),
    ],
)
def test_who_sees_the_page(db, client, role, status):
    kitchen_checklist()
    client.force_login(make_user(role, username="someone"))
    assert client.get(PAGE).status_code == status
    if status == 200:
        assert client.get(PAGE, {"export": "csv", "table": "q-timeline"}).status_code == 200


def test_only_the_director_promotes(built, client):
    client.force_login(make_user(roles.QUALIFICATION_LEAD, username="qlead"))
    data = {"target": "q:timeline", "operator": "gt", "value": "6", "action": "nurture", "months": "3"}
    assert client.post("/reports/criteria/promote/", data).status_code == 403
    assert Checklist.objects.get(is_active=True).version == 1


def test_qualification_lead_sees_only_their_team(built, client):
    other = qualification_team("Квалификация Юг")
    Lead.objects.create(phone="+79990000001", source=source(), qualification_team=other, received_at=at(3, 5, 10))
    qlead = make_user(roles.QUALIFICATION_LEAD, username="qlead")
    client.force_login(qlead)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, IN_MARCH)
    assert response.context["total"]["leads"] == 100
    director = make_user(roles.DIRECTOR, username="boss")
    client.force_login(director)
    with time_machine.travel(NOW, tick=False):
        assert client.get(PAGE, IN_MARCH).context["total"]["leads"] == 101


def test_tab_hidden_from_sales_manager(db, client):
    client.force_login(make_user(roles.SALES_MANAGER, username="sm"))
    body = client.get("/reports/funnel/").content.decode()
    assert PAGE not in body
    client.force_login(make_user(roles.DIRECTOR, username="boss"))
    assert PAGE in client.get("/reports/funnel/").content.decode()


def test_the_admin_copy_uses_the_same_checklist_copy(db, client):
    v1 = kitchen_checklist()
    admin = make_user(roles.DIRECTOR, username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(
        "/admin/qualification/checklist/", {"action": "copy_as_new_version", "_selected_action": [v1.pk]}
    )
    assert response.status_code == 302
    copy = Checklist.objects.get(version=2)
    assert (copy.is_active, copy.based_on, copy.created_by) == (False, v1, admin)
    assert sorted(copy.criteria.values_list("code", flat=True)) == sorted(v1.criteria.values_list("code", flat=True))
    assert Checklist.objects.get(pk=v1.pk).is_active
