"""The issue's resolution in a real browser: a qualifier takes "Следующий лид", presses "Позвонить", the
fake PBX plays the call's signed events to the live server, and the card shows the call, its talk
time and the stopped SLA without anything typed. Saves docs/screenshots/pbx_call.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead, PbxAccount, SlaState
from qualification.models import CallAttempt
from tests.factories import kitchen_checklist, make_user, queue_lead
from tests.fake_pbx import MANGO_KEY, MANGO_SALT, FakePbx, deliver, mango_form, mango_outbound_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_pbx():
    pbx = FakePbx().start()
    yield pbx
    pbx.stop()


def test_next_lead_call_through_the_pbx_and_the_card_logs_it_by_itself(page, live_server, fake_pbx):
    kitchen_checklist()
    anna = make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Смирнова")
    anna.profile.phone_extension = "101"
    anna.profile.save()
    account = PbxAccount.objects.create(
        provider="mango", name="Mango", base_url=f"{fake_pbx.url}/vpbx/", api_key=MANGO_KEY, api_secret=MANGO_SALT
    )
    lead = queue_lead(minutes_ago=4, name="Марина Соколова", phone="+79123456789")

    page.login("anna")
    page.click("[data-testid=next-lead]")
    page.wait_for_selector("[data-testid=call-button]")
    assert page.locator("[data-testid=tel-link]").count() == 0
    page.click("[data-testid=call-button]")
    page.wait_for_selector("[data-testid=pbx-call][data-state=placed]")

    _provider, _command, payload, _form = fake_pbx.commands[0]
    assert payload["from"] == {"extension": "101"} and payload["to_number"] == "79123456789"
    started = timezone.now() - timedelta(seconds=20)
    events = mango_outbound_call(
        entry_id="E-browser",
        extension="101",
        client="+79123456789",
        start=started,
        talk_after=5,
        talk_seconds=12,
        command_id=payload["command_id"],
    )
    for kind, event in events[:2]:  # Appeared, Connected
        assert deliver(f"{live_server.url}/api/v1/pbx/mango/{account.pk}/events/{kind}", mango_form(event)) == 200
    page.wait_for_selector("[data-testid=pbx-call][data-state=talking]")
    assert page.locator("[data-testid=pbx-call-state]").inner_text() == "Разговор"

    for kind, event in events[2:]:  # Disconnected, summary, recording
        assert deliver(f"{live_server.url}/api/v1/pbx/mango/{account.pk}/events/{kind}", mango_form(event)) == 200
    # the panel's poll sees the end and reloads the card: the attempt and the stopped SLA, nothing typed
    page.wait_for_selector("[data-testid=pbx-call][data-state=ended]")
    page.wait_for_selector("[data-testid=attempt-channel]")
    attempts = page.locator("[data-testid=attempts]").inner_text()
    assert "Дозвонились" in attempts or "Дозвон" in attempts, attempts
    assert "АТС" in attempts and "12" in attempts
    contact = page.locator("[data-testid=contact]").inner_text()
    assert "первый звонок" in contact, contact
    page.save_screenshot("pbx_call")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.first_call_at == started.replace(microsecond=0)
    assert lead.sla_state == SlaState.MET
    assert CallAttempt.objects.get().channel == "pbx"
