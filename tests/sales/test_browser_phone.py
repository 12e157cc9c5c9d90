"""A rep's whole day on a 390×844 phone in headless Chromium (issue 15 §4): "Сегодня" after login, the
menu, running late, a visit, the measurement with a photo, the win; the board one column at a time and
the calendar as a day agenda. Then every page a rep or a qualifier uses, at 360 px: no sideways scroll,
44 px touch targets. And the laptop layout at 1440 px. Screenshots: docs/screenshots/mobile/ (`make
screenshots`)."""

import os
from datetime import date

import pytest

from leadflow.models import Lead, LeadStatus
from qualification import services as q
from sales.models import Measurement, MeasurementPhoto
from tests.conftest import SCREENSHOTS
from tests.factories import LeadFactory
from tests.sales.conftest import msk
from tests.sales.test_browser_measurement import TYPED, camera_photo, moving_clock, phone  # noqa: F401
from tests.test_pages_language import offences, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1440, "height": 900}
# what a rep's day shows for the first visit (the checklist's answers in words, the qualifier's note)
NOTE = "Ремонт идёт, кухня до потолка; дома будет муж"


def _the_reps_day(deals, people):
    first = deals.booked_with_summary(
        at=msk(2026, 12, 1, 11, 0),
        name="Анна Смирнова",
        phone="+79161234567",
        address="Москва, Бутово, ул. Южнобутовская, 12, кв. 40",
        note=NOTE,
        answers={"product_type": "custom", "budget": 450000, "timeline": 2},
    )
    second = deals.booked_with_summary(
        at=msk(2026, 12, 1, 14, 30),
        name="Павел Соколов",
        address="Москва, Арбат, Плотников пер., 12",
        answers={"product_type": "custom", "budget": 620000, "timeline": 1},
    )
    deals.handed_off(name="Ксения Белова", address="Москва, ул. Берзарина, 21")
    return first, second


def _header_height(page):
    return page.evaluate("document.querySelector('nav.site-nav').getBoundingClientRect().height")


def test_a_rep_runs_the_day_from_a_phone(phone, moving_clock, people, deals):  # noqa: F811
    first, second = _the_reps_day(deals, people)
    phone.login("rep")

    # "Сегодня" is where a rep lands: the visits in order, what was agreed, one-tap actions
    assert phone.url.endswith("/board/today/")
    assert _header_height(phone) < 64  # was a fifth of the screen: now one row with a menu button
    visits = phone.locator("[data-testid=day-visit]")
    assert visits.count() == 2
    assert visits.nth(0).locator("[data-testid=visit-time]").inner_text() == "11:00–12:30"
    assert visits.nth(1).locator("[data-testid=visit-time]").inner_text() == "14:30–16:00"
    agreed = visits.nth(0).locator("[data-testid=agreed]").inner_text()
    for words in ("Кухня", "На заказ по размерам", "Бюджет", "450\u00a0000 ₽", "Сроки", "2 мес.", NOTE):
        assert words in agreed, words
    card = visits.nth(0)
    assert card.locator("[data-testid=call]").get_attribute("href") == "tel:+79161234567"
    assert card.locator("[data-testid=yandex-maps]").get_attribute("href").startswith("https://yandex.ru/maps/?text=")
    assert card.locator("[data-testid=dgis-maps]").get_attribute("href").startswith("https://2gis.ru/search/")
    phone.fits()
    phone.shot("today")

    # the menu folds under a button
    assert not phone.is_visible("[data-testid=menu-today]")
    phone.click("[data-testid=menu-button]")
    phone.wait_for_selector("#site-menu.collapse.show")  # the unfolding has finished
    phone.shot("menu_open")
    phone.click("[data-testid=menu-button]")
    phone.wait_for_selector("[data-testid=menu-today]", state="hidden")

    # stuck in traffic: "Опаздываю" → 15 minutes; the qualifier and the manager are told
    card.locator("[data-testid=running-late]").click()
    card.locator("[data-testid=late-15]").wait_for(state="visible")
    phone.fits()
    phone.shot("today_late_choices")
    with phone.expect_navigation():
        card.locator("[data-testid=late-15]").click()
    assert "Отправлено: опаздываю на 15 мин." in phone.inner_text("main")
    assert phone.locator("[data-testid=day-visit]").nth(0).locator("[data-testid=late-badge]").inner_text() == (
        "Опоздание 15 мин."
    )
    assert people["qualifier"].notifications.filter(lead_id=first.lead_id).exists()
    assert people["manager"].notifications.filter(lead_id=first.lead_id).exists()
    phone.fits()
    phone.shot("today_running_late")

    # open the visit: the deal card reads fine on the phone
    with phone.expect_navigation():
        phone.locator("[data-testid=open-visit]").nth(0).click()
    assert phone.url.endswith(f"/board/deal/{first.lead_id}/")
    assert "Опаздывает" in phone.inner_text("[data-testid=history]") or "опаздывает" in phone.inner_text(
        "[data-testid=history]"
    )
    phone.fits()
    phone.shot("visit_deal")

    # in the kitchen: start the measurement from the day, record it with a photo
    moving_clock.move_to(msk(2026, 12, 1, 11, 20))
    phone.goto(f"{phone.base_url}/board/today/")
    with phone.expect_navigation():
        phone.locator("[data-testid=day-visit]").nth(0).locator("[data-testid=start-measurement]").click()
    assert phone.url.endswith(f"/board/deal/{first.lead_id}/measurement/")
    phone.get_by_label("Угловая (Г)").check()
    for name, value in TYPED.items():
        phone.fill(f"#id_{name}", value)
    phone.set_input_files("#id_photos", files=[camera_photo()])
    phone.fits()
    phone.shot("measurement_filled")
    with phone.expect_navigation():
        phone.click("[data-testid=submit-measure]")
    assert Lead.objects.get(pk=first.lead_id).status == LeadStatus.MEASURED
    assert Measurement.objects.filter(lead_id=first.lead_id).exists()
    assert MeasurementPhoto.objects.filter(lead_id=first.lead_id).count() == 1
    thumbnail = phone.locator("[data-testid=photo-thumbs] img")
    thumbnail.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    phone.fits()
    phone.shot("visit_measured")

    # the client signs on the spot: win the deal from the phone
    phone.fill("[data-testid=form-win] [name=deal_amount]", "415000")
    phone.fill("[data-testid=form-win] [name=deal_date]", "2026-12-01")
    with phone.expect_navigation():
        phone.click("[data-testid=submit-win]")
    won = Lead.objects.get(pk=first.lead_id)
    assert won.status == LeadStatus.WON and won.deal_amount == 415000 and won.deal_date == date(2026, 12, 1)
    # back on the board, on the "won" tab, with the message
    assert phone.url.endswith("/board/?column=won")
    assert "Сделка выиграна" in phone.inner_text("main")
    visible = phone.locator(".board-column:visible")
    assert visible.get_attribute("data-column") == "won"
    assert visible.locator(f'[data-lead="{first.lead_id}"]').count() == 1
    phone.fits()
    phone.shot("deal_won")

    # the day afterwards: the measured visit is done, the next one still has its actions
    phone.goto(f"{phone.base_url}/board/today/")
    visits = phone.locator("[data-testid=day-visit]")
    assert visits.nth(0).locator("[data-testid=start-measurement]").count() == 0
    assert visits.nth(1).locator("[data-testid=start-measurement]").count() == 1
    phone.fits()


def test_the_board_and_the_calendar_on_a_phone(phone, moving_clock, people, deals):  # noqa: F811
    _the_reps_day(deals, people)
    deals.booked_with_summary(at=msk(2026, 12, 2, 12, 0), name="Ольга Никитина", address="Москва, Профсоюзная, 150")
    phone.login("rep")

    # the board: one column at a time under tabs with counts
    phone.goto(f"{phone.base_url}/board/")
    assert phone.is_visible("[data-testid=board-tabs]")
    assert phone.inner_text("[data-testid=tab-new]").split()[-1] == "1"
    assert phone.inner_text("[data-testid=tab-scheduled]").split()[-1] == "3"
    visible = phone.locator(".board-column:visible")
    assert visible.count() == 1 and visible.get_attribute("data-column") == "new"
    phone.fits()
    phone.shot("board_tabs")
    phone.click("[data-testid=tab-scheduled]")
    visible = phone.locator(".board-column:visible")
    assert visible.count() == 1 and visible.get_attribute("data-column") == "scheduled"
    assert phone.locator(".board-column:visible [data-testid=card]").count() == 3
    assert phone.url.endswith("?column=scheduled")
    phone.fits()
    phone.shot("board_tab_scheduled")

    # the calendar: a day agenda with the previous and next day, no squeezed week grid
    phone.goto(f"{phone.base_url}/board/calendar/")
    assert phone.is_visible("[data-testid=day-agenda]") and not phone.is_visible("[data-testid=calendar]")
    assert phone.locator("[data-testid=agenda-visit]").count() == 2
    phone.fits()
    phone.shot("calendar_day")
    with phone.expect_navigation():
        phone.click("[data-testid=agenda-next]")
    assert phone.locator("[data-testid=agenda-visit]").count() == 1
    assert "Ольга Никитина" in phone.inner_text("[data-testid=day-agenda]")
    phone.fits()
    phone.shot("calendar_next_day")


# --- no sideways scroll at 360 px ------------------------------------------------------------------------

# The touch targets a page offers (buttons, fields, tabs, menu): at least 44 px high on a phone.
TARGETS = (
    "main .btn:visible, main .form-control:visible, main .form-select:visible, main .page-link:visible, "
    "main .nav-link:visible, main .board-tab:visible, nav .navbar-toggler:visible"
)


def _pages_of_a_rep_and_a_qualifier(people, deals):
    first, _second = _the_reps_day(deals, people)
    measured = deals.measured(name="Елена Морозова", address="Красногорск, ул. Ленина, 38")
    held = LeadFactory(name="Игорь Новиков", address="Москва, ул. Новая, 3")
    q.lead_claim(lead_id=held.pk, actor=people["qualifier"])
    LeadFactory(name="Мария Ждущая")
    rep_pages = [
        "/board/today/",
        "/board/today/?day=2026-12-02",
        "/board/",
        "/board/?column=scheduled",
        "/board/column/new/",
        "/board/calendar/",
        "/board/calendar/?view=day",
        "/board/closed/",
        "/board/calendar/feed/",
        f"/board/deal/{first.lead_id}/",
        f"/board/deal/{first.lead_id}/measurement/",
        f"/board/deal/{measured.pk}/",
        f"/board/slots/?lead={first.lead_id}",
        "/notifications/",
        "/reports/my/",
    ]
    qualifier_pages = [
        "/queue/",
        f"/queue/{held.pk}/",
        "/queue/handoffs/",
        "/board/outcomes/",
        f"/board/slots/?lead={held.pk}",
        "/notifications/",
        "/reports/my/",
    ]
    return rep_pages, qualifier_pages


def test_no_page_of_a_rep_or_a_qualifier_scrolls_sideways_at_360_px(chromium, live_server, moving_clock, people, deals):  # noqa: F811
    rep_pages, qualifier_pages = _pages_of_a_rep_and_a_qualifier(people, deals)
    context = chromium.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    context.set_default_timeout(10_000)
    wide, small, checked = [], [], 0
    try:
        for username, pages in (("rep", rep_pages), ("qualifier", qualifier_pages)):
            context.clear_cookies()
            page = context.new_page()
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "pass")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for path in pages:
                response = page.goto(f"{live_server.url}{path}")
                assert response.status in (200, 302), (username, path, response.status)
                checked += 1
                width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
                if width[0] > width[1]:
                    wide.append((username, path, width))
                for target in page.locator(TARGETS).all():
                    box = target.bounding_box()
                    if box and box["height"] < 43.5:
                        small.append((username, path, target.evaluate("e => e.outerHTML.slice(0, 90)"), box["height"]))
                text_offences = offences(visible_text(page.content()))
                assert not text_offences, (username, path, text_offences)
            page.close()
    finally:
        context.close()
    assert checked == len(rep_pages) + len(qualifier_pages)
    assert not wide, f"pages wider than the screen at 360 px: {wide}"
    assert not small, f"touch targets under 44 px: {small}"


# --- the laptop still looks right -------------------------------------------------------------------------


def test_the_laptop_layout_at_1440_px(chromium, live_server, moving_clock, people, deals):  # noqa: F811
    _the_reps_day(deals, people)
    context = chromium.new_context(viewport=LAPTOP, locale="ru-RU")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "rep")
        page.fill("#id_password", "pass")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert page.is_visible("[data-testid=bell]") and not page.is_visible("[data-testid=menu-button]")
        os.makedirs(os.path.join(SCREENSHOTS, "mobile"), exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, "mobile", "laptop_today.png"), full_page=True)
        page.goto(f"{live_server.url}/board/")
        assert page.locator(".board-column:visible").count() == 5  # the five columns side by side
        assert not page.is_visible("[data-testid=board-tabs]")
        page.screenshot(path=os.path.join(SCREENSHOTS, "mobile", "laptop_board.png"), full_page=True)
        page.goto(f"{live_server.url}/board/calendar/")
        assert page.is_visible("[data-testid=calendar]") and not page.is_visible("[data-testid=day-agenda]")
        page.screenshot(path=os.path.join(SCREENSHOTS, "mobile", "laptop_calendar.png"), full_page=True)
    finally:
        context.close()
