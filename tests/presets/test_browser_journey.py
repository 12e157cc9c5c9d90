"""The main journey on every business preset, in a real browser: the public form → the qualifier's queue,
call, checklist, qualify and hand off (1440 px) → the rep on a 390 px phone accepts, books the visit,
records it with the preset's form and wins. And the wizard setting up a clinic, then the same journey.
Screenshots: var/screenshots/presets/<preset>_<step>.png. No "замер" on a page of another business."""

import os
import re
from decimal import Decimal

import pytest
import time_machine

from leadflow import roles
from leadflow.models import Lead, LeadStatus
from presets import schema
from presets.services import preset_apply
from sales.models import Measurement
from tests.conftest import SCREENSHOTS
from tests.factories import make_user
from tests.sales.conftest import NOW, msk
from tests.test_pages_language import offences, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}
KITCHEN_VISIT = re.compile(r"замер", re.IGNORECASE)
VISIT_WORD = {"kitchens": "замер", "clinic": "приём", "realty": "показ", "b2b": "встреч"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:  # Tuesday 1 December 2026, 10:00 in Moscow
        yield traveller


@pytest.fixture
def browser(chromium, live_server):
    """Open a laptop or a phone page: `open(viewport)`; every context is closed at the end."""
    contexts = []

    def open_page(viewport, *, mobile=False):
        context = chromium.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="ru-RU")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.base_url = live_server.url
        return page

    yield open_page
    for context in contexts:
        context.close()


def login(page, username):
    page.goto(f"{page.base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass")
    with page.expect_navigation():
        page.click("button[type=submit]")


def look(page, name, preset):
    """A screenshot to look at; the page reads as Russian and speaks of this business's visit."""
    folder = os.path.join(SCREENSHOTS, "presets")
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, f"{preset}_{name}.png"), full_page=True)
    text = visible_text(page.content())
    assert not offences(text), (page.url, offences(text))
    if preset != "kitchens":
        assert not KITCHEN_VISIT.search(text), (page.url, KITCHEN_VISIT.findall(text))
    return text


def passing_answer(criterion):
    if criterion["kind"] == "choice":
        return next(option["value"] for option in criterion["options"] if option.get("passes"))
    if criterion["kind"] == "yes_no":
        return "yes" if criterion.get("pass_if_yes", True) else "no"
    low, high = criterion.get("min_value"), criterion.get("max_value")
    return str(int(low if low is not None else high if high is not None else 1))


def run_journey(open_page, clock, preset_name):
    preset = schema.load(preset_name)
    people = {
        "anna": make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Смирнова"),
        "roman": make_user(roles.SALES_REP, username="roman", first_name="Роман", last_name="Ковалёв"),
    }
    for user in people.values():
        user.profile.team.refresh_from_db()

    # 1. the client leaves a request on the public form
    laptop = open_page(LAPTOP)
    laptop.goto(f"{laptop.base_url}/intake/")
    laptop.fill("#id_name", "Мария Викторова")
    laptop.fill("#id_phone", "+7 916 555-12-34")
    laptop.fill("#id_message", preset["demo"]["messages"]["target"][0])
    laptop.check("#id_consent")
    look(laptop, "1_intake", preset_name)
    with laptop.expect_navigation():
        laptop.click("button[type=submit]")
    lead = Lead.objects.get(phone="+79165551234")

    # 2. the qualifier calls, answers the preset's checklist and hands off
    login(laptop, "anna")
    with laptop.expect_navigation():
        laptop.click("[data-testid=next-lead]")
    assert laptop.url.endswith(f"/queue/{lead.pk}/")
    laptop.click("label[for=outcome-reached]")
    laptop.fill("[data-testid=call-form] textarea[name=note]", "Дозвонились, удобно говорить")
    with laptop.expect_navigation():
        laptop.click("[data-testid=log-call]")
    for criterion in preset["checklist"]["criteria"]:
        answer = passing_answer(criterion)
        if criterion["kind"] == "number":
            laptop.fill(f"#id_{criterion['code']}", answer)
        else:
            laptop.select_option(f"#id_{criterion['code']}", answer)
    with laptop.expect_navigation():
        laptop.click("[data-testid=save-answers]")
    laptop.fill("#qualify_best_time_to_visit", "будни после 12:00")
    laptop.fill("#qualify_note", "Клиент готов, ждёт звонка менеджера")
    laptop.mouse.move(5, 5)
    card = look(laptop, "2_lead_card", preset_name)
    assert preset["checklist"]["criteria"][0]["question"] in card
    assert preset["call_script"]["title"] in card or preset["call_script"]["text"][:30] in card
    with laptop.expect_navigation():
        laptop.click("[data-testid=qualify]")
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.sales_rep) == (LeadStatus.HANDED_OFF, people["roman"])

    # 3. the rep, on a phone: accept, book the visit, record it with the preset's form, win
    phone = open_page(PHONE, mobile=True)
    login(phone, "roman")
    deal_url = f"{phone.base_url}/board/deal/{lead.pk}/"
    phone.goto(deal_url)
    with phone.expect_navigation():
        phone.click("[data-testid=accept]")
    phone.goto(deal_url)
    phone.fill("[data-testid=form-schedule] [name=starts_at]", "2026-12-01T12:00")
    phone.fill("[data-testid=form-schedule] [name=address]", "Москва, ул. Профсоюзная, 56")
    deal = look(phone, "3_deal_accepted", preset_name)
    assert VISIT_WORD[preset_name] in deal.lower()
    with phone.expect_navigation():
        phone.click("[data-testid=submit-schedule]")
    assert lead.visits.get().ends_at == msk(2026, 12, 1, 12, 0) + preset_visit_length(preset)

    clock.move_to(msk(2026, 12, 1, 12, 15))
    phone.goto(deal_url)
    with phone.expect_navigation():
        phone.click("[data-testid=start-measurement]")
    for field in preset["visit_form"]["fields"]:
        name = f"kit_{field['code']}"
        if field["kind"] in ("choice", "yes_no"):
            phone.check(f"#id_{name}_0")
        elif field["kind"] == "number":
            phone.fill(f"#id_{name}", str(int(field.get("min_value") or 1)))
        else:
            phone.fill(f"#id_{name}", "Без особенностей")
    quote = int(preset["demo"]["quote"]["median"])
    phone.fill("#id_quote_amount", str(quote))
    look(phone, "4_visit_form", preset_name)
    with phone.expect_navigation():
        phone.click("[data-testid=submit-measure]")
    assert Measurement.objects.filter(lead=lead).exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED

    phone.fill("[data-testid=form-win] [name=deal_amount]", str(quote))
    phone.fill("[data-testid=form-win] [name=deal_date]", "2026-12-01")
    with phone.expect_navigation():
        phone.click("[data-testid=submit-win]")
    won = Lead.objects.get(pk=lead.pk)
    assert (won.status, won.deal_amount) == (LeadStatus.WON, Decimal(quote))
    look(phone, "5_won", preset_name)
    phone.goto(deal_url)
    look(phone, "6_deal_won", preset_name)


def preset_visit_length(preset):
    from datetime import timedelta

    return timedelta(minutes=preset["visit"]["minutes"])


@pytest.mark.parametrize("preset_name", ["kitchens", "clinic", "realty", "b2b"])
def test_the_main_journey_on_every_preset(browser, clock, preset_name):
    preset_apply(name=preset_name)
    run_journey(browser, clock, preset_name)


def test_the_wizard_sets_up_a_clinic_that_then_runs_end_to_end(browser, clock):
    make_user(roles.DIRECTOR, username="olga", first_name="Ольга", last_name="Орлова", is_staff=True)
    laptop = browser(LAPTOP)
    login(laptop, "olga")
    laptop.goto(f"{laptop.base_url}/setup/")
    laptop.check("input[name=preset][value=clinic]")
    laptop.fill("#id_qualification_closes", "07:00")  # a mistake: closes before it opens
    with laptop.expect_navigation():
        laptop.click("[data-testid=apply]")
    assert "Команда заканчивает работу позже, чем начинает." in laptop.inner_text("main")
    assert laptop.is_checked("input[name=preset][value=clinic]")  # what was chosen stays
    look(laptop, "wizard_error", "clinic")
    laptop.fill("#id_qualification_closes", "21:00")
    with laptop.expect_navigation():
        laptop.click("[data-testid=apply]")
    done = look(laptop, "wizard_done", "clinic")
    assert "Частная клиника" in done and "чек-лист «Стоматология: имплантация и протезирование»" in done
    run_journey(browser, clock, "clinic")
