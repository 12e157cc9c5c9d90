"""Click-to-call end to end against the fake PBX: our signed command in, its signed events out, the
card's live call panel, the recording fetched through the adapter; without a PBX, the tel: link."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from leadflow import roles
from leadflow.models import Lead, SlaState
from leadflow.telephony import PbxError, adapter_for
from leadflow.telephony.mango import mango_sign
from qualification.models import CallAttempt, PbxCall
from tests.factories import make_user
from tests.fake_pbx import MANGO_KEY, MANGO_SALT, RECORDING, mango_form, mango_outbound_call, zadarma_outbound_call

from .conftest import CLIENT, RECEIVED

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(user)
    return client


def test_without_a_pbx_the_card_keeps_the_tel_link(anna, lead):
    page = logged_in(anna).get(f"/queue/{lead.pk}/").content.decode()
    assert 'data-testid="tel-link"' in page
    assert 'data-testid="call-button"' not in page


def test_with_a_pbx_but_no_extension_the_card_keeps_the_tel_link(mango, anna, lead):
    anna.profile.phone_extension = ""
    anna.profile.save()
    page = logged_in(anna).get(f"/queue/{lead.pk}/").content.decode()
    assert 'data-testid="tel-link"' in page


def test_mango_click_to_call_end_to_end(fake_pbx, mango, anna, lead, noon):
    client = logged_in(anna)
    card = client.get(f"/queue/{lead.pk}/").content.decode()
    assert 'data-testid="call-button"' in card and "Позвонить" in card
    queue = client.get("/queue/").content.decode()
    assert 'data-testid="row-call"' in queue

    response = client.post(f"/queue/{lead.pk}/call/")
    assert response.status_code == 302
    # the command the PBX received: signed, our extension first, then the client
    (provider, command, payload, form) = fake_pbx.commands[0]
    assert (provider, command) == ("mango", "callback")
    assert form["sign"] == mango_sign(MANGO_KEY, form["json"], MANGO_SALT)
    assert payload["from"] == {"extension": "101"} and payload["to_number"] == CLIENT.lstrip("+")
    call = PbxCall.objects.get()
    assert (call.state, call.command_id, call.lead_id, call.user) == ("placed", payload["command_id"], lead.pk, anna)

    live = client.get(f"/queue/{lead.pk}/call/live/", HTTP_HX_REQUEST="true")
    assert 'data-state="placed"' in live.content.decode()

    started = RECEIVED + timedelta(minutes=5)
    events = mango_outbound_call(
        entry_id="E1", extension="101", client=CLIENT, start=started, command_id=payload["command_id"]
    )
    webhook = Client()
    for index, (kind, event) in enumerate(events):
        assert webhook.post(f"/api/v1/pbx/mango/{mango.pk}/events/{kind}", mango_form(event)).status_code == 200
        if index == 1:  # Connected
            sig = f"{call.pk}-placed-None-None-False"
            talking = client.get(f"/queue/{lead.pk}/call/live/", {"sig": sig}, HTTP_HX_REQUEST="true")
            assert 'data-state="talking"' in talking.content.decode()
            same = PbxCall.objects.get()
            unchanged = f"{same.pk}-{same.state}-{same.answered}-{same.talk_seconds}-{bool(same.recording_ref)}"
            assert (
                client.get(f"/queue/{lead.pk}/call/live/", {"sig": unchanged}, HTTP_HX_REQUEST="true").status_code
                == 204
            )
    call = PbxCall.objects.get()
    assert (call.call_id, call.state, call.answered, call.talk_seconds) == ("E1", "ended", True, 60)
    ended = client.get(f"/queue/{lead.pk}/call/live/", HTTP_HX_REQUEST="true")
    assert ended["HX-Refresh"] == "true"
    attempt = CallAttempt.objects.get()
    assert (attempt.channel, attempt.actor, attempt.recording_ref) == ("pbx", anna, "rec-E1")
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.first_call_at, lead.sla_state) == (started, SlaState.MET)
    card = client.get(f"/queue/{lead.pk}/").content.decode()
    assert "Завершён" in card or "завершён" in card.lower()
    assert 'data-testid="attempt-channel"' in card

    # §3 builds on this: the adapter fetches the audio by the reference kept on the attempt
    assert adapter_for(mango).fetch_recording(recording_ref=attempt.recording_ref) == RECORDING
    assert json.loads(fake_pbx.commands[-1][3]["json"]) == {"recording_id": "rec-E1", "action": "download"}


def test_zadarma_click_to_call_end_to_end(fake_pbx, zadarma, anna, lead):
    client = logged_in(anna)
    assert client.post(f"/queue/{lead.pk}/call/").status_code == 302
    provider, command, params, _headers = fake_pbx.commands[0]
    assert (provider, command, params["from"], params["to"]) == ("zadarma", "callback", "101", CLIENT.lstrip("+"))
    assert fake_pbx.refused == []  # the Authorization header was right
    started = RECEIVED + timedelta(minutes=5)
    for form, headers in zadarma_outbound_call(pbx_call_id="Z1", extension="101", client=CLIENT, start=started):
        assert Client().post(f"/api/v1/pbx/zadarma/{zadarma.pk}/", form, **headers).status_code == 200
    call = PbxCall.objects.get()  # the click, matched by extension and number: no second call row
    assert (call.call_id, call.state, call.user, call.recording_ref) == ("Z1", "ended", anna, "Z1-rec")
    assert Lead.objects.get(pk=lead.pk).first_call_at == started
    assert adapter_for(zadarma).fetch_recording(recording_ref="Z1-rec") == RECORDING


def test_a_pbx_that_refuses_leaves_a_message_and_no_call_attempt(fake_pbx, mango, anna, lead):
    mango.api_secret = "wrong-salt"
    mango.save()
    response = logged_in(anna).post(f"/queue/{lead.pk}/call/", follow=True)
    assert "Mango Office" in response.content.decode()
    assert PbxCall.objects.get().state == "ended"
    assert not CallAttempt.objects.exists()


def test_an_unreachable_pbx_is_a_clear_error(mango, anna, lead):
    mango.base_url = "http://127.0.0.1:9/vpbx/"
    mango.save()
    with pytest.raises(PbxError):
        adapter_for(mango).place_call(extension="101", client_phone=CLIENT, command_id="x")


def test_only_the_holder_may_call_from_the_card(mango, lead):
    boris = make_user(roles.QUALIFIER, username="boris")
    boris.profile.phone_extension = "102"
    boris.profile.save()
    logged_in(boris).post(f"/queue/{lead.pk}/call/")
    assert not PbxCall.objects.exists()


def test_admin_never_shows_the_secret_back(mango):
    from tests.factories import make_user as make

    director = make(roles.DIRECTOR, username="dir", is_staff=True, is_superuser=True)
    page = logged_in(director).get(f"/admin/leadflow/pbxaccount/{mango.pk}/change/").content.decode()
    assert MANGO_SALT not in page and MANGO_KEY not in page
    assert "••••" in page
