"""Issue 13 §1: corrections of a closed deal with a trail (who, when, old → new, why).

Reproduction: rep2 wins a deal quoted at 730 000 ₽ with 5 000 000 000 ₽; the sales manager corrects
it to 500 000 ₽ with a reason, and November's revenue and the rep's pay read the corrected figure.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.exceptions import PermissionRefused, TransitionRefused
from leadflow.models import Lead, LeadEvent, LeadStatus
from reports.models import BonusPlan, PayPeriodClose
from reports.selectors import Period, ReportFilter, Scope, economics
from sales import services as s
from sales.models import DealCorrection
from tests.factories import make_user, reason

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOVEMBER = ReportFilter(period=Period(datetime(2026, 11, 1, tzinfo=MSK), datetime(2026, 12, 1, tzinfo=MSK)))
# Friday 20 November 2026, 11:00 Moscow: a working day of the sales team.
WIN_DAY = datetime(2026, 11, 20, 11, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


@pytest.fixture
def november():
    with time_machine.travel(WIN_DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rep_plan(db):
    return BonusPlan.objects.create(
        name="reps",
        role=roles.SALES_REP,
        fixed_monthly=Decimal("60000"),
        revenue_share_percent=Decimal("6"),
        valid_from=date(2026, 1, 1),
    )


MISTYPED_DATE = date(2026, 11, 2)


def mistyped_win(deals, people):
    """rep2 wins a deal quoted at 730 000 ₽ with 5 000 000 000 ₽. Since sanity at entry (test_sanity.py) a
    future contract date is refused and such an amount needs a confirmation: the typo that still gets
    through is a confirmed one, with a wrong (but possible) date."""
    rep = people["other_rep"]
    lead = deals.measured(rep=rep, quote=Decimal("730000"))
    return s.lead_win(
        lead_id=lead.pk,
        actor=rep,
        deal_amount=Decimal("5000000000"),
        deal_date=MISTYPED_DATE,
        confirm_unusual_amount=True,
    )


def pay_of(label, report_filter=NOVEMBER):
    result = economics(report_filter=report_filter, scope=Scope())
    return result, {row["label"]: row for row in result["statements"]}[label]


def test_the_manager_corrects_a_mistyped_win_and_the_reports_read_the_corrected_figures(
    november, people, deals, rep_plan
):
    lead = mistyped_win(deals, people)
    result, pay = pay_of("Пётр Замеров")
    assert result["summary"]["revenue"] == Decimal("5000000000.00")  # the reproduction: 5 bn in November
    assert pay["total"] == Decimal("300060000.00")

    november.shift(3600)
    s.deal_correct(
        lead_id=lead.pk,
        actor=people["manager"],
        amount=Decimal("500000"),
        deal_date=date(2026, 11, 20),
        reason="опечатка",
    )

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.deal_amount, lead.deal_date) == (LeadStatus.WON, Decimal("500000"), date(2026, 11, 20))
    result, pay = pay_of("Пётр Замеров")
    assert result["summary"]["revenue"] == Decimal("500000.00")
    assert (pay["revenue"], pay["rep_bonus"], pay["total"]) == (
        Decimal("500000.00"),
        Decimal("30000.00"),
        Decimal("90000.00"),
    )
    trail = list(
        DealCorrection.objects.filter(lead=lead).order_by("field").values_list("field", "old_value", "new_value")
    )
    assert trail == [("amount", "5000000000.00", "500000"), ("date", MISTYPED_DATE.isoformat(), "2026-11-20")]
    assert set(DealCorrection.objects.values_list("actor__username", "reason")) == {("manager", "опечатка")}
    history = StateLog.objects.for_(lead).get(transition=LeadEvent.DEAL_CORRECTED)
    assert history.by == people["manager"]
    assert history.description == (
        "Amount: 5\u202f000\u202f000\u202f000\u00a0₽ → 500\u202f000\u00a0₽. "
        f"Contract date: {MISTYPED_DATE:%d.%m.%Y} → 20.11.2026. Reason: опечатка"
    )


def test_a_rep_cannot_correct_even_their_own_deal(november, people, deals):
    lead = mistyped_win(deals, people)
    with pytest.raises(PermissionRefused):
        s.deal_correct(lead_id=lead.pk, actor=people["other_rep"], amount=Decimal("500000"), reason="опечатка")
    with pytest.raises(PermissionRefused):
        s.deal_reopen(lead_id=lead.pk, actor=people["other_rep"], reason="ошибка")
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("5000000000")
    assert not DealCorrection.objects.exists()


@pytest.mark.parametrize("why", ["", "   "])
def test_a_correction_needs_a_reason(november, people, deals, why):
    lead = mistyped_win(deals, people)
    with pytest.raises(TransitionRefused, match="reason"):
        s.deal_correct(lead_id=lead.pk, actor=people["manager"], amount=Decimal("500000"), reason=why)
    with pytest.raises(TransitionRefused, match="reason"):
        s.deal_reopen(lead_id=lead.pk, actor=people["manager"], reason=why)
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("5000000000")


def test_only_a_won_deal_is_corrected(november, people, deals):
    lead = deals.measured()
    with pytest.raises(TransitionRefused):
        s.deal_correct(lead_id=lead.pk, actor=people["manager"], amount=Decimal("500000"), reason="опечатка")


def test_reopen_a_won_deal_puts_it_back_in_work_and_logs_it(november, people, deals):
    lead = mistyped_win(deals, people)
    lead = s.deal_reopen(lead_id=lead.pk, actor=people["manager"], reason="договор не подписан")

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.closed_at, lead.deal_amount, lead.deal_date) == (LeadStatus.MEASURED, None, None, None)
    row = StateLog.objects.for_(lead).get(transition=LeadEvent.REOPEN)
    assert (row.by, row.source_state, row.state) == (people["manager"], LeadStatus.WON, LeadStatus.MEASURED)
    assert row.description == "Reason: договор не подписан"
    correction = DealCorrection.objects.get(lead=lead)
    assert (correction.field, correction.old_value, correction.new_value) == ("reopened", "5000000000.00", "0")
    assert economics(report_filter=NOVEMBER, scope=Scope())["summary"]["revenue"] == Decimal("0.00")
    # back in work: the rep can win it again, with the right figures
    s.lead_win(lead_id=lead.pk, actor=people["other_rep"], deal_amount=Decimal("700000"), deal_date=date(2026, 11, 20))
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.WON


def test_reopen_a_deal_lost_before_the_visit_goes_back_to_handed_off(november, people, deals):
    lead = deals.accepted()
    s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "price"))
    lead = s.deal_reopen(lead_id=lead.pk, actor=people["manager"], reason="клиент передумал")
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.lose_reason, lead.closed_at) == (LeadStatus.HANDED_OFF, None, None)


def test_an_open_deal_is_not_reopened(november, people, deals):
    lead = deals.measured()
    with pytest.raises(TransitionRefused):
        s.deal_reopen(lead_id=lead.pk, actor=people["manager"], reason="?")


def test_the_director_corrects_too(november, people, deals):
    lead = mistyped_win(deals, people)
    director = make_user(roles.DIRECTOR, username="director")
    s.deal_correct(lead_id=lead.pk, actor=director, amount=Decimal("500000"), reason="опечатка")
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("500000")


DECEMBER = ReportFilter(period=Period(datetime(2026, 12, 1, tzinfo=MSK), datetime(2027, 1, 1, tzinfo=MSK)))


def close_month(month, *, by, at):
    return PayPeriodClose.objects.create(month=month, closed_by=by, closed_at=at)


def test_a_correction_of_a_paid_month_is_an_adjustment_line_in_the_next_statement(
    client, november, people, deals, rep_plan
):
    lead = mistyped_win(deals, people)
    director = make_user(roles.DIRECTOR, username="director")
    close_month(date(2026, 11, 1), by=director, at=datetime(2026, 12, 1, 9, 0, tzinfo=MSK))
    november.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=MSK))
    s.deal_correct(lead_id=lead.pk, actor=people["manager"], amount=Decimal("500000"), reason="опечатка")

    result, paid = pay_of("Пётр Замеров")
    # November was paid: its statement stays as it was paid ...
    assert (paid["revenue"], paid["rep_bonus"], paid["adjustment"], paid["total"]) == (
        Decimal("5000000000.00"),
        Decimal("300000000.00"),
        Decimal("0"),
        Decimal("300060000.00"),
    )
    # ... while the revenue report reads the corrected deal
    assert result["summary"]["revenue"] == Decimal("500000.00")
    _, december = pay_of("Пётр Замеров", DECEMBER)
    assert [
        (line["lead_id"], line["old"], line["new"], line["difference"], line["bonus"], line["reason"])
        for line in december["adjustments"]
    ] == [
        (
            lead.pk,
            Decimal("5000000000.00"),
            Decimal("500000.00"),
            Decimal("-4999500000.00"),
            Decimal("-299970000.00"),
            "опечатка",
        )
    ]
    assert december["adjustment"] == Decimal("-299970000.00")
    assert december["total"] == Decimal("60000.00") - Decimal("299970000.00")
    # the rep reads it on their own page: the line, old → new and why
    client.force_login(people["other_rep"])
    mine = client.get(reverse("reports:my")).text
    assert 'data-testid="my-adjustment"' in mine and f"#{lead.pk} (11.2026)" in mine and "опечатка" in mine


def test_reopening_a_won_deal_of_a_paid_month_takes_its_bonus_back_in_the_next_statement(
    november, people, deals, rep_plan
):
    lead = mistyped_win(deals, people)
    director = make_user(roles.DIRECTOR, username="director")
    close_month(date(2026, 11, 1), by=director, at=datetime(2026, 12, 1, 9, 0, tzinfo=MSK))
    november.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=MSK))
    s.deal_reopen(lead_id=lead.pk, actor=people["manager"], reason="договор не подписан")

    _, paid = pay_of("Пётр Замеров")
    assert (paid["revenue"], paid["total"]) == (Decimal("5000000000.00"), Decimal("300060000.00"))
    _, december = pay_of("Пётр Замеров", DECEMBER)
    assert [(line["reopened"], line["bonus"]) for line in december["adjustments"]] == [(True, Decimal("-300000000.00"))]


def test_a_correction_before_the_month_is_paid_rewrites_that_month_only(november, people, deals, rep_plan):
    lead = mistyped_win(deals, people)
    november.move_to(datetime(2026, 12, 1, 8, 0, tzinfo=MSK))
    s.deal_correct(lead_id=lead.pk, actor=people["manager"], amount=Decimal("500000"), reason="опечатка")
    close_month(date(2026, 11, 1), by=people["manager"], at=datetime(2026, 12, 1, 9, 0, tzinfo=MSK))

    _, paid = pay_of("Пётр Замеров")
    assert (paid["revenue"], paid["total"]) == (Decimal("500000.00"), Decimal("90000.00"))
    _, december = pay_of("Пётр Замеров", DECEMBER)
    assert (december["adjustments"], december["adjustment"]) == ([], Decimal("0"))


# --- the deal page -------------------------------------------------------------------------------


def test_the_manager_corrects_on_the_deal_page_and_the_rep_sees_the_trail(client, november, people, deals):
    lead = mistyped_win(deals, people)
    client.force_login(people["manager"])
    page = client.get(reverse("sales:deal", args=[lead.pk]))
    assert 'data-testid="form-correct"' in page.text and 'data-testid="form-reopen"' in page.text

    response = client.post(
        reverse("sales:correct", args=[lead.pk]),
        {"amount": "500000", "deal_date": "2026-11-20", "reason": "опечатка"},
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("500000")

    client.force_login(people["other_rep"])
    page = client.get(reverse("sales:deal", args=[lead.pk]))
    assert "Deal corrected" in page.text and "Reason: опечатка" in page.text
    assert 'data-testid="form-correct"' not in page.text and 'data-testid="form-reopen"' not in page.text
    refused = client.post(
        reverse("sales:correct", args=[lead.pk]), {"amount": "1", "deal_date": "2026-11-20", "reason": "моё"}
    )
    assert refused.status_code == 403
    assert client.post(reverse("sales:reopen", args=[lead.pk]), {"reason": "моё"}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("500000")


def test_the_deal_page_asks_for_the_reason(client, november, people, deals):
    lead = mistyped_win(deals, people)
    client.force_login(people["manager"])
    response = client.post(reverse("sales:correct", args=[lead.pk]), {"amount": "500000", "deal_date": "2026-11-20"})
    assert response.status_code == 400
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("5000000000")
    response = client.post(reverse("sales:reopen", args=[lead.pk]), {"reason": "клиент передумал"})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED


def test_the_director_marks_a_month_paid_and_the_economics_page_lists_the_adjustment(
    client, november, people, deals, rep_plan
):
    lead = mistyped_win(deals, people)
    director = make_user(roles.DIRECTOR, username="director", is_staff=True)
    director.user_permissions.add(*Permission.objects.filter(content_type__model="payperiodclose"))
    client.force_login(director)
    november.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=MSK))
    response = client.post(reverse("admin:reports_payperiodclose_add"), {"month": "2026-11-01"})
    assert response.status_code == 302
    paid = PayPeriodClose.objects.get()
    assert (paid.month, paid.closed_by) == (date(2026, 11, 1), director)
    assert client.post(reverse("admin:reports_payperiodclose_add"), {"month": "2026-10-15"}).status_code == 200
    assert PayPeriodClose.objects.count() == 1  # not the first day of a month: refused

    november.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=MSK))
    s.deal_correct(lead_id=lead.pk, actor=people["manager"], amount=Decimal("500000"), reason="опечатка")
    page = client.get(reverse("reports:economics"), {"preset": "custom", "start": "2026-12-01", "end": "2026-12-31"})
    adjustments = {table.slug: table for table in page.context["tables"]}["adjustments"]
    assert [(row["deal"], row["label"], row["bonus"]) for row in adjustments.rows] == [
        (f"#{lead.pk}", "Пётр Замеров", Decimal("-299970000.00"))
    ]


def test_a_correction_keeps_the_contract_date_rules(deals, people):
    lead = mistyped_win(deals, people)
    with pytest.raises(TransitionRefused, match="future"):
        s.deal_correct(lead_id=lead.pk, actor=people["manager"], deal_date=date(2027, 6, 1), reason="опечатка")
    assert Lead.objects.get(pk=lead.pk).deal_date == MISTYPED_DATE
