"""The workspace for 60 calls a day in a real browser (issue 16 §5): the keys and their help on "?", the
opt-in chime + desktop notification when a lead lands in an empty queue or a callback falls due, and the
queue refreshing while the pointer rests on it. Screenshots: var/screenshots/workspace_*.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead
from qualification import services as q
from qualification.views import workspace
from tests.factories import kitchen_checklist, make_user, queue_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# window.Notification and Audio replaced by recorders: headless Chromium shows no notification and has no
# sound card; the test checks that the page asked for them, with what.
RECORDERS = """
window.__notes = []; window.__sounds = []; window.__asked = 0;
function FakeNotification(title, options) { window.__notes.push({title: title, body: (options || {}).body}); }
FakeNotification.permission = "default";
FakeNotification.requestPermission = function () {
  window.__asked += 1; FakeNotification.permission = "granted"; return Promise.resolve("granted");
};
FakeNotification.prototype.close = function () {};
window.Notification = FakeNotification;
window.Audio = function (src) { this.play = function () { window.__sounds.push(src); return Promise.resolve(); }; };
"""


@pytest.fixture
def anna():
    kitchen_checklist()
    return make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Смирнова")


@pytest.fixture
def fast_poll(monkeypatch):
    monkeypatch.setattr(workspace, "POLL_SECONDS", 1)


def test_keys_take_the_next_lead_and_open_the_forms_and_never_fire_while_typing(page, anna):
    lead = queue_lead(minutes_ago=3, name="Марина Соколова", phone="+79123456789")
    page.login("anna")
    page.goto(f"{page.base_url}/queue/")

    page.keyboard.press("?")
    help_box = page.locator("[data-testid=shortcuts-help]")
    assert help_box.is_visible()
    text = help_box.inner_text()
    for words in ("Горячие клавиши", "Следующий лид", "Позвонить", "Записать итог звонка", "Дисквалифицировать"):
        assert words in text, text
    page.save_screenshot("workspace_shortcuts")
    page.keyboard.press("Tab")  # a modal: the focus stays on its close button
    assert page.evaluate("document.activeElement.hasAttribute('data-shortcuts-close')")
    page.keyboard.press("Escape")
    assert not help_box.is_visible()
    page.click("[data-testid=shortcuts-open]")  # the same list by mouse or touch
    assert help_box.is_visible()
    page.click("[data-shortcuts-close]")
    assert not help_box.is_visible()

    search = page.locator("#id_q")
    search.click()
    page.keyboard.type("n?")  # typed into the filter, not taken as keys
    assert search.input_value() == "n?" and not help_box.is_visible()
    assert page.url.endswith("/queue/")
    search.fill("")
    page.locator("h1").click()  # out of the field
    page.keyboard.press("Alt+n")  # with a modifier the key is the browser's, not ours
    page.wait_for_timeout(300)
    assert page.url.endswith("/queue/") and Lead.objects.get(pk=lead.pk).qualifier is None
    page.keyboard.press("n")
    page.wait_for_url(f"**/queue/{lead.pk}/")
    assert Lead.objects.get(pk=lead.pk).qualifier == anna

    page.keyboard.press("l")
    assert page.evaluate("document.activeElement.name") == "outcome"
    page.keyboard.press("q")  # a radio takes no typing: the next key still works
    assert page.evaluate("document.activeElement.id") == "qualify_best_time_to_visit"
    page.keyboard.type("d")  # now typing: "d" goes into the field, the disqualify form is not opened
    assert page.input_value("#qualify_best_time_to_visit") == "d"
    assert page.evaluate("document.activeElement.id") == "qualify_best_time_to_visit"
    page.locator("h1").click()
    page.keyboard.press("d")
    assert page.evaluate("document.activeElement.name") == "reason"
    assert Lead.objects.get(pk=lead.pk).status == "qualifying"  # keys open forms, never decide
    page.save_screenshot("workspace_card_keys")


def test_chime_and_notification_when_a_lead_lands_in_an_empty_queue_and_when_a_callback_falls_due(
    page, anna, fast_poll
):
    page.context.add_init_script(RECORDERS)
    held = queue_lead(minutes_ago=30, name="Олег Перезвонов")
    q.lead_claim(lead_id=held.pk, actor=anna)
    q.call_attempt_log(
        lead_id=held.pk, actor=anna, outcome="callback", callback_at=timezone.now() + timedelta(minutes=30)
    )
    page.login("anna")
    page.goto(f"{page.base_url}/queue/")
    toggle = page.locator("[data-testid=alerts-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false"
    assert page.evaluate("window.__asked") == 0  # never asked before the click
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true" and "вкл" in toggle.inner_text()
    assert page.evaluate("window.__asked") == 1
    assert page.evaluate("localStorage.getItem('leadflow.alerts')") == "on"
    assert page.evaluate("window.__sounds.length") == 1  # the click plays it once: the qualifier hears it
    assert page.evaluate("window.__sounds[0]").endswith("/chime.wav")

    page.mouse.move(10, 10)
    fresh = queue_lead(minutes_ago=0, name="Новая Заявка")
    page.wait_for_selector(f"tr[data-lead-id='{fresh.pk}']")
    page.wait_for_function("() => window.__notes.length >= 1")
    assert page.evaluate("window.__notes[0].title") == "Новый лид в очереди"
    assert page.evaluate("window.__sounds.length") == 2

    Lead.objects.filter(pk=held.pk).update(callback_at=timezone.now() - timedelta(seconds=5))
    page.wait_for_function("() => window.__notes.length >= 2")
    note = page.evaluate("window.__notes[1]")
    assert note["title"] == "Пора перезвонить" and "Олег Перезвонов" in note["body"]
    page.wait_for_timeout(2500)  # two more refreshes: the same lead and callback do not ring again
    assert page.evaluate("window.__notes.length") == 2

    page.reload()  # remembered in this browser
    assert page.locator("[data-testid=alerts-toggle]").get_attribute("aria-pressed") == "true"
    page.save_screenshot("workspace_alerts")


def test_off_by_default_no_notification(page, anna, fast_poll):
    page.context.add_init_script(RECORDERS)
    page.login("anna")
    page.goto(f"{page.base_url}/queue/")
    fresh = queue_lead(minutes_ago=0, name="Тихая Заявка")
    page.wait_for_selector(f"tr[data-lead-id='{fresh.pk}']")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.__notes.length") == 0 and page.evaluate("window.__sounds.length") == 0


def test_the_queue_keeps_refreshing_under_the_pointer_and_pauses_while_typing(page, anna, fast_poll):
    queue_lead(minutes_ago=5, name="Первая Заявка")
    page.login("anna")
    page.goto(f"{page.base_url}/queue/")
    page.hover("[data-testid=queue-table] tbody tr")  # the pointer rests on the table
    assert page.evaluate("document.getElementById('queue-table').matches(':hover')")
    assert page.evaluate("window.queueMayRefresh()") is True
    arrived = queue_lead(minutes_ago=0, name="Пришла Под Курсором")
    page.wait_for_selector(f"tr[data-lead-id='{arrived.pk}']")
    assert "Пришла Под Курсором" in page.locator("[data-testid=queue-table]").inner_text()

    page.click("#id_q")  # typing in a field of the queue: the refresh waits
    assert page.evaluate("window.queueMayRefresh()") is False
    page.locator("h1").click()
    assert page.evaluate("window.queueMayRefresh()") is True
    assert "пока вы печатаете" in page.locator("[data-testid=queue-table-wrap]").inner_text()
