"""The reps' and the managers' main journeys on the deal board, in headless Chromium."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from leadflow.models import HandoffState, Lead, LeadStatus
from qualification.models import Criterion, LeadAnswer
from sales import services as s
from sales.models import Dispute, Visit
from tests.factories import reason
from tests.sales.conftest import NOW, msk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moving_clock():
    """Tuesday 1 December 2026, 10:00 Moscow, with the clock running (the browser waits in real time)."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _answers(lead, budget, months):
    for code, value in (("budget", budget), ("timeline", months)):
        criterion = Criterion.objects.filter(code=code, checklist__is_active=True).first()
        if criterion is not None:
            LeadAnswer.objects.create(
                lead=lead, criterion=criterion, checklist_version=criterion.checklist.version, value=value, passed=True
            )


def _a_full_board(deals, people):
    """Deals in every column for the rep, so the board looks like a working week."""
    rep = people["rep"]
    second = deals.handed_off(name="Ксения Белова", address="Москва, Хорошёво-Мнёвники, ул. Берзарина, 21")
    _answers(second, 380000, 2)
    scheduled = deals.scheduled(
        name="Дмитрий Орлов", address="Москва, Марьино, ул. Люблинская, 151", starts_at=msk(2026, 12, 3, 12, 0)
    )
    _answers(scheduled, 520000, 1)
    measured = deals.accepted(name="Елена Морозова", address="Красногорск, ул. Ленина, 38")
    _answers(measured, 610000, 3)
    s.lead_record_measurement(
        lead_id=measured.pk, actor=rep, quote_amount=Decimal("585000"), next_step="Прислать 3D-проект до пятницы"
    )
    won = deals.measured(name="Сергей Волков", address="Москва, Сокол, Ленинградский пр., 74", quote=Decimal("470000"))
    s.lead_win(lead_id=won.pk, actor=rep, deal_amount=Decimal("455000"), deal_date=date(2026, 12, 1))
    lost = deals.accepted(name="Алина Фёдорова", address="Москва, Митино, ул. Митинская, 40")
    s.lead_lose(lead_id=lost.pk, actor=rep, reason=reason("lose", "competitor"), competitor="Кухни Лайт")


def _week_of_visits(deals, people):
    plan = [
        ("rep", "Ольга Никитина", "Москва, Тёплый Стан, ул. Профсоюзная, 150", msk(2026, 12, 2, 14, 30)),
        ("rep", "Павел Соколов", "Москва, Арбат, Плотников пер., 12", msk(2026, 12, 4, 10, 0)),
        ("other_rep", "Вера Лебедева", "Химки, ул. Молодёжная, 4", msk(2026, 12, 2, 10, 0)),
        ("other_rep", "Илья Козлов", "Москва, Бибирево, ул. Плещеева, 7", msk(2026, 12, 3, 16, 0)),
        ("other_rep", "Татьяна Попова", "Москва, Раменки, Мичуринский пр., 9", msk(2026, 12, 5, 11, 0)),
    ]
    for key, name, address, starts_at in plan:
        deals.scheduled(rep=people[key], name=name, address=address, starts_at=starts_at)


def test_rep_accepts_schedules_measures_and_wins(page, moving_clock, people, deals):
    lead = deals.handed_off(name="Анна Смирнова", address="Москва, Бутово, ул. Южнобутовская, 12")
    _answers(lead, 450000, 2)
    _a_full_board(deals, people)
    _week_of_visits(deals, people)

    page.login("rep")
    page.goto(f"{page.base_url}/board/")
    card = page.locator(f'[data-testid=card][data-lead="{lead.pk}"]')
    assert card.locator("[data-testid=next-action]").inner_text().strip().endswith("Примите или оспорьте")
    assert "450" in card.inner_text() and "Бутово" in card.inner_text()

    # accept with the keyboard: the button is focusable and Enter submits it
    card.locator("[data-testid=accept]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".alert-success").count() == 1
    assert Lead.objects.get(pk=lead.pk).handoff_state == HandoffState.ACCEPTED

    card = page.locator(f'[data-testid=card][data-lead="{lead.pk}"]')
    card.get_by_role("link", name="Назначить замер…").click()
    page.fill("#id_starts_at", "2026-12-02T11:00")
    page.fill("#id_address", "Москва, Бутово, ул. Южнобутовская, 12, кв. 40")
    page.fill("#id_note", "Домофон 40К")
    with page.expect_navigation():
        page.click("[data-testid=submit-schedule]")
    visit = Visit.objects.get(lead=lead)
    assert visit.starts_at == msk(2026, 12, 2, 11, 0) and visit.status == Visit.Status.SCHEDULED

    page.goto(f"{page.base_url}/board/")
    scheduled_column = page.locator("[data-column=scheduled]")
    assert scheduled_column.locator(f'[data-lead="{lead.pk}"]').count() == 1

    moving_clock.move_to(msk(2026, 12, 2, 11, 30))  # the rep is at the client's: the visit has started
    scheduled_column.locator(f'[data-lead="{lead.pk}"]').get_by_role("link", name="Внести замер…").click()
    page.get_by_label("Прямая").check()
    for field, value in (("wall_a", "3600"), ("height", "2700"), ("windows", "1"), ("doors", "1")):
        page.fill(f"#id_kit_{field}", value)
    page.fill("#id_quote_amount", "420000")
    page.get_by_label("Цена").check()
    page.fill("#id_objection_note", "Сравнивает с конкурентом")
    page.fill("#id_next_step", "Прислать смету")
    with page.expect_navigation():
        page.click("[data-testid=submit-measure]")
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED

    page.fill("#win #id_deal_amount", "410000")
    page.fill("#win #id_deal_date", "2026-12-01")
    with page.expect_navigation():
        page.click("[data-testid=submit-win]")
    assert page.url.endswith("/board/?column=won")
    won = Lead.objects.get(pk=lead.pk)
    assert won.status == LeadStatus.WON and won.deal_amount == Decimal("410000")
    assert page.locator("[data-column=won]").locator(f'[data-lead="{lead.pk}"]').count() == 1
    page.save_screenshot("board")

    page.goto(f"{page.base_url}/board/calendar/")
    assert page.locator("[data-testid=calendar] [data-testid=visit]").count() >= 2
    page.context.clear_cookies()  # a new session for the sales manager
    page.login("manager")
    page.goto(f"{page.base_url}/board/calendar/")
    assert page.locator("[data-testid=calendar] [data-testid=visit]").count() >= 7
    page.save_screenshot("calendar")


def test_rep_disputes_and_the_managers_arbitrate(page, moving_clock, people, deals):
    upheld_lead = deals.handed_off(name="Григорий Модульный", address="Москва, ул. Вавилова, 3")
    rejected_lead = deals.handed_off(name="Нина Целевая", address="Москва, ул. Профсоюзная, 20")

    page.login("rep")
    for lead, code, comment in (
        (upheld_lead, "Модульная", "Клиенту нужна готовая модульная кухня из каталога"),
        (rejected_lead, "Бюджет", "Говорит, бюджет до 150 тысяч"),
    ):
        page.goto(f"{page.base_url}/board/")
        page.locator(f'[data-testid=card][data-lead="{lead.pk}"]').get_by_role("link", name="Оспорить…").click()
        page.select_option(
            "#dispute #id_reason",
            label=next(
                r.title
                for r in [reason("dispute", "modular"), reason("dispute", "no_budget")]
                if r.title.startswith("На самом деле" if code == "Модульная" else "Бюджет")
            ),
        )
        page.fill("#dispute #id_comment", comment)
        with page.expect_navigation():
            page.click("[data-testid=submit-dispute]")
        assert page.locator(".alert-success").count() == 1
    assert Dispute.objects.filter(decision=Dispute.Decision.PENDING).count() == 2
    assert (
        page.locator(f'[data-lead="{upheld_lead.pk}"] [data-testid=next-action]')
        .inner_text()
        .endswith("Ждёт арбитража")
    )

    # the qualification lead upholds the first dispute
    page.context.clear_cookies()
    page.login("qlead")
    page.goto(f"{page.base_url}/board/arbitration/")
    upheld = Dispute.objects.get(lead=upheld_lead)
    block = page.locator(f'[data-testid=dispute][data-dispute="{upheld.pk}"]')
    block.locator(f"#id_u{upheld.pk}-note").fill("Прослушали звонок: клиент просил модульную")
    with page.expect_navigation():
        block.locator("[data-testid=uphold]").click()
    assert page.locator(".alert-success").count() == 1

    # the sales manager rejects the second one
    page.context.clear_cookies()
    page.login("manager")
    page.goto(f"{page.base_url}/board/arbitration/")
    rejected = Dispute.objects.get(lead=rejected_lead)
    block = page.locator(f'[data-testid=dispute][data-dispute="{rejected.pk}"]')
    block.locator(f"#id_r{rejected.pk}-note").fill("В анкете бюджет 400 000 ₽, клиент подтвердил")
    with page.expect_navigation():
        block.locator("[data-testid=reject]").click()
    assert page.locator("[data-testid=decided] tbody tr").count() == 2

    upheld.refresh_from_db()
    rejected.refresh_from_db()
    assert (upheld.decision, upheld.decided_by.username, upheld.counts_against_user.username) == (
        "upheld",
        "qlead",
        "qualifier",
    )
    assert (rejected.decision, rejected.decided_by.username, rejected.counts_against_user.username) == (
        "rejected",
        "manager",
        "rep",
    )
    assert Lead.objects.get(pk=upheld_lead.pk).status == LeadStatus.QUALIFYING
    kept = Lead.objects.get(pk=rejected_lead.pk)
    assert kept.status == LeadStatus.HANDED_OFF and kept.handoff_state == HandoffState.ACCEPTED
