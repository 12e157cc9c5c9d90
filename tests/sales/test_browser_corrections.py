"""Issue 13 §1 in headless Chromium: the sales manager corrects a mistyped won deal on the deal page."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from leadflow import links
from leadflow.models import Lead
from sales import services as s
from sales.models import DealCorrection
from tests.sales.conftest import NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moving_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def test_the_sales_manager_corrects_a_mistyped_deal(page, moving_clock, people, deals):
    rep = people["other_rep"]
    lead = deals.measured(rep=rep, name="Сергей Волков", quote=Decimal("730000"))
    s.lead_win(
        lead_id=lead.pk,
        actor=rep,
        deal_amount=Decimal("5000000000"),
        deal_date=date(2026, 11, 2),
        confirm_unusual_amount=True,
    )

    page.login("manager")
    page.goto(f"{page.base_url}{links.deal_url(lead.pk)}")
    form = page.locator("[data-testid=form-correct]")
    assert form.locator("[name=amount]").input_value().startswith("5000000000")
    form.locator("[name=amount]").fill("500000")
    form.locator("[name=deal_date]").fill("2026-12-01")
    form.locator("[name=reason]").fill("опечатка: лишние нули")
    form.locator("[data-testid=submit-correct]").click()

    page.wait_for_url(f"**{links.deal_url(lead.pk)}")
    assert "Сделка исправлена" in page.locator("body").inner_text()
    history = page.locator("[data-testid=history]").inner_text()
    assert "Сделка исправлена" in history
    assert "Сумма: 5\u202f000\u202f000\u202f000\u00a0₽ → 500\u202f000\u00a0₽" in history
    assert "Дата договора: 02.11.2026 → 01.12.2026" in history
    assert "Причина: опечатка: лишние нули" in history
    page.save_screenshot("deal-corrected")

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.deal_amount, lead.deal_date) == (Decimal("500000"), date(2026, 12, 1))
    assert DealCorrection.objects.filter(lead=lead, actor=people["manager"]).count() == 2
