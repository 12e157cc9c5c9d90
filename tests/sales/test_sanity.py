"""Sanity at entry (issue 13 §1): a win far from the quote needs a confirmation, a contract date is
neither in the future nor long before the measurement, a measurement waits for its visit to start, a
next step is not due in the past. Refused with a clear message; on the page the typed values stay."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from leadflow.exceptions import TransitionRefused
from leadflow.models import Lead, LeadStatus
from sales import services as s
from sales.exceptions import UnusualAmount, VisitClash
from sales.models import Measurement, Visit
from tests.sales.conftest import KITCHEN_ROOM, msk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids (the Russian page is checked by its own tests below)."""


def _login(client, user):
    client.force_login(user)


# --- win: amount against the quote ---------------------------------------------------------------


@pytest.mark.parametrize("amount", ["5000000000", "100000"])
def test_win_far_from_the_quote_is_refused_without_confirmation(clock, people, deals, amount):
    lead = deals.measured(quote=Decimal("730000"))
    with pytest.raises(UnusualAmount):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal(amount), deal_date=date(2026, 12, 1))
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED


def test_win_far_from_the_quote_goes_through_when_confirmed(clock, people, deals):
    lead = deals.measured(quote=Decimal("730000"))
    lead = s.lead_win(
        lead_id=lead.pk,
        actor=people["rep"],
        deal_amount=Decimal("1600000"),
        deal_date=date(2026, 12, 1),
        confirm_unusual_amount=True,
    )
    assert lead.status == LeadStatus.WON and lead.deal_amount == Decimal("1600000")


def test_win_near_the_quote_needs_no_confirmation(clock, people, deals):
    lead = deals.measured(quote=Decimal("730000"))
    lead = s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("700000"), deal_date=date(2026, 12, 1))
    assert lead.status == LeadStatus.WON


# --- win: contract date ----------------------------------------------------------------------------


def test_contract_date_in_the_future_is_refused(clock, people, deals):
    lead = deals.measured(quote=Decimal("730000"))
    with pytest.raises(TransitionRefused, match="future"):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("730000"), deal_date=date(2026, 12, 2))
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED


def test_contract_date_long_before_the_measurement_is_refused(clock, people, deals, settings):
    settings.SALES_CONTRACT_DAYS_BEFORE_MEASUREMENT = 30
    lead = deals.measured(quote=Decimal("730000"))
    with pytest.raises(TransitionRefused, match="measurement"):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("730000"), deal_date=date(2026, 10, 31))
    lead = s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("730000"), deal_date=date(2026, 11, 1))
    assert lead.status == LeadStatus.WON


# --- measurement and next step ---------------------------------------------------------------------


def test_measurement_before_the_visit_started_is_refused(clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0))
    with pytest.raises(TransitionRefused, match="before the visit"):
        s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("400000"))
    assert not Measurement.objects.exists()
    clock.move_to(msk(2026, 12, 2, 11, 5))
    lead = s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("400000"))
    assert lead.status == LeadStatus.MEASURED


def test_next_step_in_the_past_is_refused(clock, people, deals):
    lead = deals.accepted()
    with pytest.raises(TransitionRefused, match="past"):
        s.lead_record_measurement(
            lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("400000"), next_step_due=date(2026, 11, 30)
        )
    assert not Measurement.objects.exists()
    s.lead_record_measurement(
        lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("400000"), next_step_due=date(2026, 12, 1)
    )


# --- the pages: the message and the typed values ---------------------------------------------------


def test_win_page_asks_to_confirm_an_unusual_amount_in_russian_and_keeps_the_values(client, clock, people, deals):
    lead = deals.measured(quote=Decimal("730000"))
    _login(client, people["rep"])
    url = reverse("sales:win", args=[lead.pk])
    typed = {"deal_amount": "5000000000", "deal_date": "2026-12-01", "note": "Подписали в офисе"}
    response = client.post(url, typed, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    page = response.content.decode()
    amount, quote, times = "5\u202f000\u202f000\u202f000\u00a0₽", "730\u202f000\u00a0₽", "6\u202f849"
    assert f"Сумма {amount} сильно отличается от сметы {quote} (в {times} раз)" in page
    assert "Проверьте сумму или подтвердите." in page
    assert "Подтверждаю сумму" in page
    assert 'value="5000000000"' in page and 'value="2026-12-01"' in page and "Подписали в офисе" in page
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED
    response = client.post(url, {**typed, "confirm_unusual_amount": "on"})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).deal_amount == Decimal("5000000000")


def test_win_page_refuses_a_future_contract_date_and_keeps_the_values(client, clock, people, deals):
    lead = deals.measured(quote=Decimal("730000"))
    _login(client, people["rep"])
    response = client.post(
        reverse("sales:win", args=[lead.pk]),
        {"deal_amount": "735000", "deal_date": "2027-01-15"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Дата договора не может быть в будущем" in page
    assert 'value="735000"' in page and 'value="2027-01-15"' in page


def test_measure_page_refuses_before_the_visit_in_russian_and_keeps_the_values(client, clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 7, 10, 0))
    _login(client, people["rep"])
    response = client.post(
        reverse("sales:measure", args=[lead.pk]),
        {"quote_amount": "410000", "next_step": "КП на почту", **KITCHEN_ROOM},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Замер нельзя записать до начала визита (пн 07.12 10:00)" in page
    assert 'value="410000"' in page and "КП на почту" in page and 'value="3200"' in page
    assert not Measurement.objects.exists()


# --- reassigning a deal with a booked visit -----------------------------------------------------------

MONDAY_10 = msk(2026, 12, 7, 10, 0)


def _two_visits(people, deals, other_starts_at=MONDAY_10):
    """Ivan's deal is booked Monday 10:00; Pyotr already has a visit at `other_starts_at`."""
    lead = deals.scheduled(rep=people["rep"], starts_at=MONDAY_10, name="Анна Перевод")
    deals.scheduled(rep=people["other_rep"], starts_at=other_starts_at, name="Борис Занятый")
    return lead


@pytest.mark.parametrize(
    "other_starts_at",
    [MONDAY_10, msk(2026, 12, 7, 12, 0)],  # the same time; or after it, closer than the travel buffer
)
def test_reassign_refuses_to_double_book_the_new_rep(clock, people, deals, other_starts_at):
    lead = _two_visits(people, deals, other_starts_at)
    with pytest.raises(VisitClash) as refused:
        s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=people["other_rep"])
    assert "Пётр Замеров" in str(refused.value.message) and "Борис Занятый" in str(refused.value.message)
    assert Lead.objects.get(pk=lead.pk).sales_rep == people["rep"]
    visit = Visit.objects.get(lead=lead)
    assert visit.rep == people["rep"] and visit.starts_at == MONDAY_10
    # the choice offered: the new rep's free slots, none of them clashing with his visit
    slots = refused.value.slots
    assert slots and all(slot.rep == people["other_rep"] for slot in slots)
    assert all(
        slot.ends_at + timedelta(hours=1) <= other_starts_at
        or slot.starts_at >= other_starts_at + timedelta(hours=2, minutes=30)
        for slot in slots
    )


def test_reassign_moves_the_visit_to_the_slot_the_manager_picks(clock, people, deals):
    lead = _two_visits(people, deals)
    picked = msk(2026, 12, 7, 14, 0)
    lead = s.deal_reassign(
        lead_id=lead.pk, actor=people["manager"], sales_rep=people["other_rep"], visit_starts_at=picked
    )
    assert lead.sales_rep == people["other_rep"]
    booked = Visit.objects.filter(rep=people["other_rep"], status=Visit.Status.SCHEDULED).order_by("starts_at")
    assert [(v.lead.name, v.starts_at) for v in booked] == [("Борис Занятый", MONDAY_10), ("Анна Перевод", picked)]
    old = Visit.objects.get(lead=lead, status=Visit.Status.RESCHEDULED)
    assert old.rep == people["rep"] and old.starts_at == MONDAY_10
    assert not Visit.objects.filter(rep=people["rep"], status=Visit.Status.SCHEDULED, lead=lead).exists()


def test_reassign_refuses_a_picked_slot_that_is_busy(clock, people, deals):
    lead = _two_visits(people, deals)
    with pytest.raises(VisitClash):
        s.deal_reassign(
            lead_id=lead.pk,
            actor=people["manager"],
            sales_rep=people["other_rep"],
            visit_starts_at=msk(2026, 12, 7, 11, 0),
        )
    assert Lead.objects.get(pk=lead.pk).sales_rep == people["rep"]


def test_reassign_into_a_free_slot_moves_the_visit_as_it_is(clock, people, deals):
    lead = _two_visits(people, deals, other_starts_at=msk(2026, 12, 7, 15, 0))
    s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=people["other_rep"])
    visit = Visit.objects.get(lead=lead)
    assert (visit.rep, visit.starts_at, visit.status) == (people["other_rep"], MONDAY_10, Visit.Status.SCHEDULED)


def test_reassign_page_lists_the_clash_and_free_slots_then_moves_the_visit(client, clock, people, deals):
    lead = _two_visits(people, deals)
    _login(client, people["manager"])
    url = reverse("sales:reassign", args=[lead.pk])
    typed = {"sales_rep": people["other_rep"].pk, "note": "Иван в отпуске"}
    response = client.post(url, typed, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Пётр Замеров занят в это время" in page and "Борис Занятый" in page
    assert 'value="2026-12-07T14:00"' in page  # a free slot of the new rep to pick
    assert 'value="2026-12-07T10:00"' not in page
    assert "Иван в отпуске" in page
    assert Lead.objects.get(pk=lead.pk).sales_rep == people["rep"]
    response = client.post(url, {**typed, "visit_starts_at": "2026-12-07T14:00"})
    assert response.status_code == 302
    assert Visit.objects.get(lead=lead, status=Visit.Status.SCHEDULED).rep == people["other_rep"]
    assert Visit.objects.get(lead=lead, status=Visit.Status.SCHEDULED).starts_at == msk(2026, 12, 7, 14, 0)
