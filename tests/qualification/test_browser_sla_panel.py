"""The qualification lead's SLA panel in a real browser: the red banner while the SLA engine is
stopped (gone after the next sweep, by the panel's own refresh), and reassigning a late lead from its
row without the refresh resetting the choice. Saves docs/screenshots/sla_panel_engine_stopped.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow import roles
from leadflow.models import SLA_ENGINE, EngineHeartbeat, Lead, SlaState
from leadflow.services import engine_heartbeat_record
from qualification import services as q
from tests.factories import make_user, queue_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_sees_the_engine_stopped_and_reassigns_a_late_lead_from_the_panel(page):
    lida = make_user(roles.QUALIFICATION_LEAD, username="lida", first_name="Лидия", last_name="Иванова")
    anna = make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Смирнова")
    make_user(roles.QUALIFIER, username="olga", first_name="Ольга", last_name="Петрова")
    late = queue_lead(
        minutes_ago=30,
        name="Марина Соколова",
        sla_state=SlaState.BREACHED,
        sla_breach_at=timezone.now() - timedelta(minutes=10),
    )
    q.lead_claim(lead_id=late.pk, actor=anna)
    stopped_at = timezone.now() - timedelta(minutes=7)
    EngineHeartbeat.objects.filter(name=SLA_ENGINE).update(beat_at=stopped_at)

    page.clock.install()
    page.login(lida.username)
    page.goto(f"{page.base_url}/queue/sla/")
    banner = page.locator("[data-testid=sla-engine-stopped]")
    assert f"SLA-движок остановлен с {timezone.localtime(stopped_at):%H:%M}" in banner.inner_text()
    row = page.locator(f"[data-testid=urgent] tr:has(a[href='/queue/{late.pk}/'])")
    assert "Марина Соколова" in row.inner_text()
    page.mouse.move(5, 5)
    page.save_screenshot("sla_panel_engine_stopped")

    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.headers.get("hx-request") else None)
    choice = row.locator("select[name=qualifier]")
    choice.focus()
    choice.select_option(label="Ольга Петрова")
    engine_heartbeat_record()  # meanwhile the worker and beat are back
    page.clock.run_for(65_000)  # two refresh periods while the lead is choosing: no refresh
    assert polls == []
    row.locator("[data-testid=reassign]").click()
    page.wait_for_url("**/queue/sla/")
    assert Lead.objects.get(pk=late.pk).qualifier.username == "olga"
    assert page.locator("[data-testid=sla-engine-stopped]").count() == 0  # the page after the action

    EngineHeartbeat.objects.filter(name=SLA_ENGINE).update(beat_at=timezone.now() - timedelta(minutes=5))
    page.reload()
    assert page.locator("[data-testid=sla-engine-stopped]").count() == 1
    engine_heartbeat_record()
    page.mouse.move(5, 5)
    page.clock.run_for(31_000)  # the panel's own refresh takes the banner away
    page.wait_for_function("() => !document.querySelector('[data-testid=sla-engine-stopped]')")
    assert len(polls) == 1
