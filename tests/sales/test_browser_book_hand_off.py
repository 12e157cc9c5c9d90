"""Booking → hand-off as one flow in a real browser (issue 16 §5), on a 390 px phone and at 1440 px: from
the card to the rep's free slots, a submit without a slot keeps the note typed, then one submit books,
qualifies and hands off, and the qualifier is back in the queue with the confirmation.
Screenshots: var/screenshots/book_hand_off_*.png and mobile/book_hand_off_*.png."""

import pytest

from leadflow.models import Lead, LeadStatus
from qualification.models import HandoffSummary
from sales.models import Visit
from tests.sales.test_book_and_hand_off import _on_call
from tests.sales.test_browser_measurement import moving_clock, phone  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Клиент дома после 11, домофон 12"


def _one_flow(page, lead, shot):
    page.goto(f"{page.base_url}/queue/{lead.pk}/")
    page.click("[data-testid=book-link]")
    page.wait_for_selector("[data-testid=book-hand-off]")
    assert page.locator("[data-testid=book-hand-off]").inner_text().strip() == "Записать, квалифицировать и передать"

    page.fill("#id_note", NOTE)
    page.click("[data-testid=book-hand-off]")  # no slot picked yet
    page.wait_for_selector("text=Выберите свободное время")
    assert page.input_value("#id_note") == NOTE  # what was typed stays
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING

    first_slot = page.locator("[data-testid=slot]").first
    first_slot.scroll_into_view_if_needed()
    first_slot.click()
    shot("book_hand_off_slots")
    page.click("[data-testid=book-hand-off]")
    page.wait_for_url("**/queue/")
    confirmation = page.locator(".alert-success").inner_text()
    assert "Замер назначен" in confirmation and "передан" in confirmation, confirmation
    shot("book_hand_off_queue")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF
    visit = Visit.objects.get(lead=lead)
    assert lead.sales_rep == visit.rep and visit.note == NOTE
    assert HandoffSummary.objects.get(lead=lead).note == NOTE
    return confirmation


def test_book_and_hand_off_in_one_submit_at_1440(page, moving_clock, people):  # noqa: F811
    lead = _on_call(people, name="Марина Соколова")
    page.login("qualifier")
    _one_flow(page, lead, page.save_screenshot)


def test_book_and_hand_off_in_one_submit_on_a_phone(phone, moving_clock, people):  # noqa: F811
    lead = _on_call(people, name="Игорь Лебедев")
    phone.login("qualifier")
    phone.goto(f"{phone.base_url}/queue/{lead.pk}/")
    phone.fits()

    def shot(name):
        phone.fits()
        phone.shot(name)

    _one_flow(phone, lead, shot)
