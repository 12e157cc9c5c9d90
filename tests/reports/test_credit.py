"""Issue 10 §5: credit stays with the qualifier who did the work, whoever holds the lead now.

Built through the real services on a fixed clock: an upheld dispute returns the lead, the claim
lease releases it 30 minutes later; with the manual strategy the team lead presses the hand-off.
The per-qualifier figures (funnel, speed, hand-off quality, pay) are read from the selectors.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Team
from qualification import services as q
from reports.models import BonusPlan
from reports.selectors import Period, ReportFilter, Scope, economics, funnel, handoff_quality, speed
from reports.selectors.funnel import lead_base
from sales import services as s
from sales.models import Dispute
from tests.factories import (
    KITCHEN_PASSING_ANSWERS,
    kitchen_checklist,
    make_user,
    qualification_team,
    queue_lead,
    reason,
)

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
# Tuesday 1 December 2026, 10:00 Moscow: a working day of the sales team.
START = datetime(2026, 12, 1, 10, 0, tzinfo=MSK)
DECEMBER = ReportFilter(period=Period(datetime(2026, 12, 1, tzinfo=MSK), datetime(2027, 1, 1, tzinfo=MSK)))


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(db):
    return {
        "olga": make_user(roles.QUALIFIER, username="olga", first_name="Ольга", last_name="Квалова"),
        "boris": make_user(roles.QUALIFIER, username="boris", first_name="Борис", last_name="Второй"),
        "qlead": make_user(roles.QUALIFICATION_LEAD, username="qlead", first_name="Инна", last_name="Старшая"),
        "rep": make_user(roles.SALES_REP, username="rep", first_name="Иван", last_name="Продажин"),
        "manager": make_user(roles.SALES_MANAGER, username="manager", first_name="Мария", last_name="Главная"),
    }


def qualified_lead(qualifier, *, minutes_ago=2):
    """Received, claimed, called and qualified by `qualifier` through the services."""
    kitchen_checklist()
    lead = queue_lead(minutes_ago=minutes_ago, address="Москва, ул. Тверская, 1")
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="reached")
    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
    return q.lead_qualify(lead_id=lead.pk, actor=qualifier)


def dispute_upheld(lead, people):
    dispute = s.handoff_dispute(
        lead_id=lead.pk, actor=people["rep"], reason=reason("dispute", "modular"), comment="Нужна модульная кухня"
    )
    return s.dispute_uphold(dispute_id=dispute.pk, actor=people["manager"], note="Модульная, не наш клиент")


def rows_by_label(rows):
    return {row["label"]: row for row in rows}


def test_upheld_dispute_then_lease_sweep_keeps_the_lead_in_the_qualifiers_rows(clock, people):
    olga = people["olga"]
    lead = qualified_lead(olga)
    q.lead_hand_off(lead_id=lead.pk, actor=olga, sales_rep=people["rep"])
    clock.shift(timedelta(minutes=20))
    dispute_upheld(lead, people)
    clock.shift(timedelta(minutes=31))
    assert q.claim_leases_expire() == 1
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.NEW and lead.qualifier is None  # the lease released the claim

    leads = lead_base(report_filter=DECEMBER, scope=Scope())
    funnel_rows = rows_by_label(funnel(leads=leads, group_by="qualifier")["rows"])
    assert set(funnel_rows) == {"Ольга Квалова"}  # not "Not taken"
    assert (funnel_rows["Ольга Квалова"]["received"], funnel_rows["Ольга Квалова"]["called"]) == (1, 1)

    speed_rows = rows_by_label(speed(leads=leads, group_by="qualifier")["rows"])
    assert set(speed_rows) == {"Ольга Квалова"}
    assert (speed_rows["Ольга Квалова"]["leads"], speed_rows["Ольга Квалова"]["called"]) == (1, 1)
    assert speed_rows["Ольга Квалова"]["first_call_p50_min"] == pytest.approx(2)

    quality = rows_by_label(handoff_quality(report_filter=DECEMBER, scope=Scope())["rows"])
    assert (quality["Ольга Квалова"]["handoffs"], quality["Ольга Квалова"]["upheld"]) == (1, 1)


def test_requalified_by_someone_else_moves_the_hand_off_but_not_the_upheld_dispute(clock, people):
    olga, boris = people["olga"], people["boris"]
    lead = qualified_lead(olga)
    q.lead_hand_off(lead_id=lead.pk, actor=olga, sales_rep=people["rep"])
    dispute_upheld(lead, people)
    clock.shift(timedelta(minutes=31))
    q.claim_leases_expire()
    q.lead_claim(lead_id=lead.pk, actor=boris)
    q.lead_answers_save(lead_id=lead.pk, actor=boris, answers=KITCHEN_PASSING_ANSWERS)
    q.lead_qualify(lead_id=lead.pk, actor=boris)
    q.lead_hand_off(lead_id=lead.pk, actor=boris, sales_rep=people["rep"])

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.first_called_by, lead.qualified_by) == (olga, boris)
    quality = rows_by_label(handoff_quality(report_filter=DECEMBER, scope=Scope())["rows"])
    assert (quality["Ольга Квалова"]["handoffs"], quality["Ольга Квалова"]["upheld"]) == (1, 1)
    assert (quality["Борис Второй"]["handoffs"], quality["Борис Второй"]["upheld"]) == (1, 0)
    leads = lead_base(report_filter=DECEMBER, scope=Scope())
    assert set(rows_by_label(speed(leads=leads, group_by="qualifier")["rows"])) == {"Ольга Квалова"}
    funnel_rows = rows_by_label(funnel(leads=leads, group_by="qualifier")["rows"])
    assert set(funnel_rows) == {"Борис Второй"} and funnel_rows["Борис Второй"]["handed_off"] == 1


def test_manual_strategy_credits_the_qualifier_not_the_team_lead(clock, people):
    olga, qlead, rep = people["olga"], people["qlead"], people["rep"]
    qualification_team(assignment_strategy=Team.AssignmentStrategy.MANUAL, lead=qlead)
    for person in (olga, qlead):
        BonusPlan.objects.create(
            name=f"plan {person.username}",
            role=roles.QUALIFIER if person == olga else roles.QUALIFICATION_LEAD,
            user=person,
            fixed_monthly=Decimal("40000"),
            bonus_per_won_deal=Decimal("3000"),
            valid_from=date(2026, 1, 1),
        )
    won, junk = qualified_lead(olga, minutes_ago=5), qualified_lead(olga)
    for lead in (won, junk):
        q.lead_send_to_sales(lead_id=lead.pk, actor=qlead, sales_rep=rep)
    assert Lead.objects.get(pk=won.pk).handed_off_by == qlead  # the audit keeps who pressed the button
    s.handoff_accept(lead_id=won.pk, actor=rep)
    s.lead_record_measurement(lead_id=won.pk, actor=rep, quote_amount=Decimal("350000"))
    s.lead_win(lead_id=won.pk, actor=rep, deal_amount=Decimal("420000"), deal_date=date(2026, 12, 1))
    dispute = dispute_upheld(junk, people)

    assert dispute.qualifier == olga and dispute.counts_against_user == olga
    quality = rows_by_label(handoff_quality(report_filter=DECEMBER, scope=Scope())["rows"])
    assert set(quality) == {"Ольга Квалова"}
    assert {key: quality["Ольга Квалова"][key] for key in ("handoffs", "accepted", "won", "upheld")} == {
        "handoffs": 2,
        "accepted": 1,
        "won": 1,
        "upheld": 1,
    }
    result = economics(report_filter=DECEMBER, scope=Scope())
    pay = {row["label"]: row for row in result["statements"]}
    assert (pay["Ольга Квалова"]["handoff_wins"], pay["Ольга Квалова"]["earned"]) == (1, Decimal("3000.00"))
    assert (pay["Инна Старшая"]["handoff_wins"], pay["Инна Старшая"]["earned"]) == (0, Decimal("0.00"))
    assert [(pair["qualifier"], pair["won"]) for pair in result["pairs"]] == [("Ольга Квалова", 1)]


def test_upheld_dispute_on_a_manual_hand_off_claws_back_the_qualifier(clock, people):
    """The same lead won after a returned hand-off: the bonus and its clawback go to the qualifier."""
    olga, qlead, rep = people["olga"], people["qlead"], people["rep"]
    qualification_team(assignment_strategy=Team.AssignmentStrategy.MANUAL, lead=qlead)
    BonusPlan.objects.create(
        name="olga",
        role=roles.QUALIFIER,
        user=olga,
        fixed_monthly=Decimal("40000"),
        bonus_per_won_deal=Decimal("3000"),
        valid_from=date(2026, 1, 1),
    )
    lead = qualified_lead(olga)
    q.lead_send_to_sales(lead_id=lead.pk, actor=qlead, sales_rep=rep)
    dispute_upheld(lead, people)
    q.lead_answers_save(lead_id=lead.pk, actor=olga, answers=KITCHEN_PASSING_ANSWERS)
    q.lead_qualify(lead_id=lead.pk, actor=olga)
    q.lead_send_to_sales(lead_id=lead.pk, actor=qlead, sales_rep=rep)
    s.handoff_accept(lead_id=lead.pk, actor=rep)
    s.lead_record_measurement(lead_id=lead.pk, actor=rep, quote_amount=Decimal("350000"))
    s.lead_win(lead_id=lead.pk, actor=rep, deal_amount=Decimal("420000"), deal_date=date(2026, 12, 1))

    pay = {row["label"]: row for row in economics(report_filter=DECEMBER, scope=Scope())["statements"]}
    assert (pay["Ольга Квалова"]["handoff_wins"], pay["Ольга Квалова"]["clawed"]) == (1, 1)
    assert pay["Ольга Квалова"]["bonus"] == Decimal("0.00")
    assert Dispute.objects.get().qualifier == olga


def test_funnel_page_shows_the_qualifier_after_the_lease_sweep(client, clock, people):
    olga = people["olga"]
    lead = qualified_lead(olga)
    q.lead_hand_off(lead_id=lead.pk, actor=olga, sales_rep=people["rep"])
    dispute_upheld(lead, people)
    clock.shift(timedelta(minutes=31))
    q.claim_leases_expire()
    director = make_user(roles.DIRECTOR, username="director")
    client.force_login(director)
    params = {"preset": "custom", "start": "2026-12-01", "end": "2026-12-31", "group_by": "qualifier"}
    tables = {table.slug: table for table in client.get(reverse("reports:funnel"), params).context["tables"]}
    rows = rows_by_label(tables["by-group"].rows)
    assert "Ольга Квалова" in rows and rows["Ольга Квалова"]["received"] == 1


def test_backfill_restores_the_credit_of_historic_leads_from_their_history(clock, people):
    """Rows written before the credit fields existed get them from the transition history."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("leadflow.migrations.0009_lead_credit_backfill").backfill
    olga, boris, qlead, rep = people["olga"], people["boris"], people["qlead"], people["rep"]
    qualification_team(assignment_strategy=Team.AssignmentStrategy.MANUAL, lead=qlead)
    manual = qualified_lead(olga)
    q.lead_send_to_sales(lead_id=manual.pk, actor=qlead, sales_rep=rep)
    returned = qualified_lead(olga)
    q.lead_send_to_sales(lead_id=returned.pk, actor=qlead, sales_rep=rep)
    dispute_upheld(returned, people)
    clock.shift(timedelta(minutes=31))
    q.claim_leases_expire()
    held = queue_lead()
    q.lead_claim(lead_id=held.pk, actor=boris)
    by_phone = queue_lead()  # a telephony call without a known operator: the holder's call
    q.lead_claim(lead_id=by_phone.pk, actor=boris)
    q.call_attempt_log(lead_id=by_phone.pk, actor=None, outcome="no_answer", check_holder=False)
    expected = {
        lead.pk: (lead.first_called_by_id, lead.qualified_by_id)
        for lead in Lead.objects.filter(pk__in=[manual.pk, returned.pk, held.pk, by_phone.pk])
    }
    assert expected == {
        manual.pk: (olga.pk, olga.pk),
        returned.pk: (olga.pk, olga.pk),
        held.pk: (None, None),
        by_phone.pk: (boris.pk, None),
    }

    Lead.objects.update(first_called_by=None, qualified_by=None)
    backfill(apps, None)
    assert {
        lead.pk: (lead.first_called_by_id, lead.qualified_by_id) for lead in Lead.objects.filter(pk__in=expected)
    } == expected
    quality = rows_by_label(handoff_quality(report_filter=DECEMBER, scope=Scope())["rows"])
    assert set(quality) == {"Ольга Квалова"} and quality["Ольга Квалова"]["handoffs"] == 2


def test_team_lead_qualifying_on_behalf_credits_the_holder(clock, people):
    olga, qlead, rep = people["olga"], people["qlead"], people["rep"]
    kitchen_checklist()
    lead = queue_lead(minutes_ago=2, address="Москва, ул. Тверская, 1")
    q.lead_claim(lead_id=lead.pk, actor=olga)
    q.call_attempt_log(lead_id=lead.pk, actor=olga, outcome="reached")
    q.lead_answers_save(lead_id=lead.pk, actor=olga, answers=KITCHEN_PASSING_ANSWERS)
    lead = q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qlead, sales_rep=rep)
    assert (lead.status, lead.handed_off_by, lead.qualified_by) == (LeadStatus.HANDED_OFF, qlead, olga)
    quality = rows_by_label(handoff_quality(report_filter=DECEMBER, scope=Scope())["rows"])
    assert set(quality) == {"Ольга Квалова"} and quality["Ольга Квалова"]["handoffs"] == 1
