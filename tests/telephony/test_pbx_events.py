"""The PBX's notifications: signatures (good, bad, replayed), one call attempt whatever the order, the
SLA stopped with the PBX's own timestamp, a missed call from a known client raising the lead."""

from datetime import timedelta

import pytest
from django.test import Client

from leadflow.models import Lead, Notification, SlaState
from qualification import selectors
from qualification.models import CallAttempt, PbxCall
from tests.fake_pbx import (
    mango_form,
    mango_missed_inbound,
    mango_outbound_call,
    zadarma_form_signed,
    zadarma_missed_inbound,
    zadarma_outbound_call,
)

from .conftest import CLIENT, RECEIVED

pytestmark = pytest.mark.django_db


def post_mango(client, account, kind, payload, **form_overrides):
    return client.post(f"/api/v1/pbx/mango/{account.pk}/events/{kind}", {**mango_form(payload), **form_overrides})


def post_zadarma(client, account, form, headers):
    return client.post(f"/api/v1/pbx/zadarma/{account.pk}/", form, **headers)


def call_start():
    return RECEIVED + timedelta(minutes=3)


# --- signatures ---------------------------------------------------------------------------------


def test_mango_signature_good_bad_and_replayed(mango, lead):
    client = Client()
    kind, payload = mango_outbound_call(entry_id="E1", extension="101", client=CLIENT, start=call_start())[0]
    assert post_mango(client, mango, kind, payload).status_code == 200
    assert post_mango(client, mango, kind, payload, sign="0" * 64).status_code == 403
    assert post_mango(client, mango, kind, {**payload, "seq": 9}, sign=mango_form(payload)["sign"]).status_code == 403
    assert post_mango(client, mango, kind, payload, vpbx_api_key="another").status_code == 403
    # a signed notification of a call three hours ago, sent again: a replay
    old = {**payload, "entry_id": "E0", "timestamp": int((call_start() - timedelta(hours=3)).timestamp())}
    assert post_mango(client, mango, kind, old).status_code == 403
    assert not PbxCall.objects.filter(call_id="E0").exists()


def test_zadarma_signature_good_bad_and_replayed(zadarma, lead):
    client = Client()
    form, headers = zadarma_outbound_call(pbx_call_id="Z1", extension="101", client=CLIENT, start=call_start())[0]
    assert post_zadarma(client, zadarma, form, headers).status_code == 200
    assert post_zadarma(client, zadarma, form, {"HTTP_SIGNATURE": "bm9wZQ=="}).status_code == 403
    assert post_zadarma(client, zadarma, form, {}).status_code == 403
    assert post_zadarma(client, zadarma, {**form, "destination": "79990000000"}, headers).status_code == 403
    old, old_headers = zadarma_form_signed({**form, "pbx_call_id": "Z0", "call_start": "2026-11-25 08:00:00"})
    assert post_zadarma(client, zadarma, old, old_headers).status_code == 403
    assert not PbxCall.objects.filter(call_id="Z0").exists()


def test_zadarma_address_check_echoes(zadarma):
    response = Client().get(f"/api/v1/pbx/zadarma/{zadarma.pk}/", {"zd_echo": "abc123"})
    assert (response.status_code, response.content) == (200, b"abc123")


def test_a_notification_for_another_provider_or_an_inactive_account_is_not_found(mango, zadarma, lead):
    kind, payload = mango_outbound_call(entry_id="E1", extension="101", client=CLIENT, start=call_start())[0]
    assert Client().post(f"/api/v1/pbx/mango/{zadarma.pk}/events/call", mango_form(payload)).status_code == 404
    mango.is_active = False
    mango.save()
    assert post_mango(Client(), mango, kind, payload).status_code == 404


# --- one attempt, whatever the order ------------------------------------------------------------


@pytest.mark.parametrize("order", ["in_order", "reversed", "duplicated"])
def test_mango_events_in_any_order_make_one_attempt(mango, lead, anna, order):
    events = mango_outbound_call(entry_id="E7", extension="101", client=CLIENT, start=call_start(), talk_seconds=94)
    if order == "reversed":
        events = events[::-1]
    elif order == "duplicated":
        events = events + events[::2] + events
    client = Client()
    for kind, payload in events:
        assert post_mango(client, mango, kind, payload).status_code == 200
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.direction, attempt.duration_seconds) == ("reached", "outbound", 94)
    assert (attempt.channel, attempt.actor, attempt.recording_ref) == ("pbx", anna, "rec-E7")
    call = PbxCall.objects.get()
    assert (call.state, call.answered, call.talk_seconds, call.attempt) == ("ended", True, 94, attempt)
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.first_call_at == call_start()
    assert lead.sla_state == SlaState.MET


@pytest.mark.parametrize("order", ["in_order", "reversed", "duplicated"])
def test_zadarma_events_in_any_order_make_one_attempt(zadarma, lead, anna, order):
    events = zadarma_outbound_call(pbx_call_id="Z7", extension="101", client=CLIENT, start=call_start())
    if order == "reversed":
        events = events[::-1]
    elif order == "duplicated":
        events = events + events
    for form, headers in events:
        assert post_zadarma(Client(), zadarma, form, headers).status_code == 200
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.duration_seconds, attempt.channel, attempt.actor) == ("reached", 60, "pbx", anna)
    assert attempt.recording_ref == "Z7-rec"
    assert Lead.objects.get(pk=lead.pk).first_call_at == call_start()


def test_unanswered_call_is_a_no_answer_attempt_that_still_stops_the_clock(mango, lead):
    for kind, payload in mango_outbound_call(
        entry_id="E8", extension="101", client=CLIENT, start=call_start(), answered=False
    ):
        post_mango(Client(), mango, kind, payload)
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.duration_seconds, attempt.recording_ref) == ("no_answer", 0, "")
    assert Lead.objects.get(pk=lead.pk).sla_state == SlaState.MET


def test_a_late_pbx_call_is_met_late_by_the_pbx_clock_not_by_arrival(mango, lead, noon):
    late = RECEIVED + timedelta(minutes=25)
    noon.move_to(late + timedelta(minutes=2))
    for kind, payload in mango_outbound_call(entry_id="E9", extension="101", client=CLIENT, start=late):
        post_mango(Client(), mango, kind, payload)
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.first_call_at, lead.sla_state) == (late, SlaState.MET_LATE)


def test_a_call_dated_before_the_lead_arrived_logs_nothing(mango, lead):
    early = RECEIVED - timedelta(minutes=1)
    for kind, payload in mango_outbound_call(entry_id="E10", extension="101", client=CLIENT, start=early):
        assert post_mango(Client(), mango, kind, payload).status_code == 200
    assert not CallAttempt.objects.exists()
    assert Lead.objects.get(pk=lead.pk).first_call_at is None


# --- the client called back ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["mango", "zadarma"])
def test_missed_inbound_call_from_a_known_client_raises_the_lead_and_tells_its_qualifier(
    request, provider, lead, anna, noon
):
    from tests.factories import queue_lead

    account = request.getfixturevalue(provider)
    # make the lead a follow-up behind a more urgent one: its first call is done
    for kind, payload in mango_outbound_call(entry_id="E0", extension="101", client=CLIENT, start=call_start()):
        post_mango(Client(), request.getfixturevalue("mango"), kind, payload)
    other = queue_lead(minutes_ago=1, qualifier=anna, status="qualifying")
    queue = list(selectors.queue_for_user(user=anna, team_id=lead.qualification_team_id))
    assert queue.index(other) < [row.pk for row in queue].index(lead.pk)

    missed_at = RECEIVED + timedelta(minutes=30)
    noon.move_to(missed_at + timedelta(minutes=1))
    if provider == "mango":
        for kind, payload in mango_missed_inbound(entry_id="IN1", client=CLIENT, extension="101", start=missed_at):
            assert post_mango(Client(), account, kind, payload).status_code == 200
    else:
        for form, headers in zadarma_missed_inbound(pbx_call_id="ZIN1", client=CLIENT, start=missed_at):
            assert post_zadarma(Client(), account, form, headers).status_code == 200
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.client_called_back_at == missed_at
    queue = list(selectors.queue_for_user(user=anna, team_id=lead.qualification_team_id))
    assert queue[0].pk == lead.pk
    note = Notification.objects.get(recipient=anna, lead=lead)
    assert CLIENT in note.text
    assert CallAttempt.objects.filter(direction="inbound").count() == 0  # the client's attempt, not ours

    # calling the client back clears the flag
    back = missed_at + timedelta(minutes=2)
    noon.move_to(back + timedelta(minutes=1))
    for kind, payload in mango_outbound_call(entry_id="E11", extension="101", client=CLIENT, start=back):
        post_mango(Client(), request.getfixturevalue("mango"), kind, payload)
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.client_called_back_at is None


def test_a_signed_but_malformed_notification_is_400_and_keeps_nothing(mango, lead):
    kind, payload = mango_outbound_call(entry_id="E1", extension="101", client=CLIENT, start=call_start())[0]
    assert post_mango(Client(), mango, kind, {**payload, "from": "not an object"}).status_code == 400
    assert post_mango(Client(), mango, kind, {**payload, "entry_id": "x" * 500}).status_code == 400
    assert post_mango(Client(), mango, kind, [1, 2]).status_code == 403  # undated: not even a fresh one
    assert not PbxCall.objects.exists()
