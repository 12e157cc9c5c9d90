"""POST /api/v1/calls/: telephony events become call attempts that stop the SLA clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_fsm_log.models import StateLog
from rest_framework.test import APIClient

from leadflow import roles
from leadflow.models import ApiToken, Inquiry, Lead, SlaState
from leadflow.services import api_token_issue, lead_receive
from qualification.models import CallAttempt
from tests.factories import make_user, qualification_team, source

pytestmark = pytest.mark.django_db

URL = "/api/v1/calls/"
MSK = ZoneInfo("Europe/Moscow")
RECEIVED = datetime(2026, 11, 25, 12, 0, tzinfo=MSK)
CLIENT = "+79123456789"


@pytest.fixture(autouse=True)
def _noon():
    qualification_team()
    with time_machine.travel(RECEIVED + timedelta(minutes=30), tick=False):
        yield


@pytest.fixture
def api():
    token = api_token_issue(kind=ApiToken.Kind.TELEPHONY, name="PBX")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def lead():
    return lead_receive(source=source("website"), phone=CLIENT, received_at=RECEIVED).lead


def event(**overrides):
    body = {
        "event_id": "pbx-1",
        "caller": "101",
        "callee": "8 (912) 345-67-89",
        "direction": "outbound",
        "started_at": (RECEIVED + timedelta(minutes=10)).isoformat(),
        "duration": 94,
        "answered": True,
        "operator": "anna@example.com",
    }
    body.update(overrides)
    return body


def fresh(lead):
    return Lead.objects.get(pk=lead.pk)


def test_answered_outbound_call_stops_the_clock_on_time(api, lead):
    anna = make_user(roles.QUALIFIER, username="anna")
    response = api.post(URL, event(), format="json")
    assert response.status_code == 201, response.content
    attempt = CallAttempt.objects.get()
    assert response.json() == {
        "event_id": "pbx-1",
        "lead_id": lead.pk,
        "call_attempt_id": attempt.pk,
        "lead_created": False,
        "duplicate": False,
        "sla_state": "met",
    }
    assert (attempt.outcome, attempt.direction, attempt.duration_seconds) == ("reached", "outbound", 94)
    assert attempt.actor == anna
    assert attempt.external_event_id == "pbx-1"
    lead = fresh(lead)
    assert lead.first_call_at == RECEIVED + timedelta(minutes=10)
    assert lead.sla_state == SlaState.MET


def test_unanswered_call_after_the_breach_is_met_late(api, lead):
    late = (RECEIVED + timedelta(minutes=25)).isoformat()
    response = api.post(URL, event(answered=False, started_at=late, operator=""), format="json")
    assert response.status_code == 201
    assert CallAttempt.objects.get().outcome == "no_answer"
    assert fresh(lead).sla_state == SlaState.MET_LATE


def test_operator_found_by_extension(api, lead):
    boris = make_user(roles.QUALIFIER, username="boris")
    boris.profile.phone_extension = "102"
    boris.profile.save()
    api.post(URL, event(operator="102"), format="json")
    assert CallAttempt.objects.get().actor == boris


def test_unknown_operator_is_kept_in_the_note(api, lead):
    api.post(URL, event(operator="999"), format="json")
    attempt = CallAttempt.objects.get()
    assert attempt.actor is None
    assert "999" in attempt.note


def test_redelivery_is_recognised_by_event_id(api, lead):
    first = api.post(URL, event(), format="json")
    second = api.post(URL, event(duration=5), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["duplicate"] is True
    assert second.json()["call_attempt_id"] == first.json()["call_attempt_id"]
    assert CallAttempt.objects.count() == 1
    assert StateLog.objects.for_(lead).filter(transition="call_attempt").count() == 1


def test_inbound_call_from_an_unknown_number_becomes_a_call_tracking_lead(api):
    response = api.post(
        URL, event(direction="inbound", caller="+7 912 000-11-22", callee="100", event_id="pbx-in"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lead_created"] is True
    lead = Lead.objects.get(pk=body["lead_id"])
    assert (lead.phone, lead.source.code) == ("+79120001122", "call_tracking")
    assert lead.received_at == RECEIVED + timedelta(minutes=10)
    assert lead.sla_state == SlaState.MET  # answered at once: the client got us on the phone
    attempt = CallAttempt.objects.get()
    assert (attempt.direction, attempt.outcome) == ("inbound", "reached")
    assert api.post(URL, event(direction="inbound", caller="+79120001122", event_id="pbx-in"), format="json").json()[
        "duplicate"
    ]
    assert Lead.objects.count() == 1


def test_missed_inbound_call_creates_a_lead_whose_clock_keeps_running(api):
    response = api.post(
        URL, event(direction="inbound", caller="+79120001122", answered=False, event_id="pbx-miss"), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["lead_created"], body["call_attempt_id"], body["sla_state"]) == (True, None, "pending")
    assert CallAttempt.objects.count() == 0
    again = api.post(
        URL, event(direction="inbound", caller="+79120001122", answered=False, event_id="pbx-miss"), format="json"
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Lead.objects.count() == 1


def test_missed_inbound_call_on_an_open_lead_is_a_repeat_inquiry_not_a_response(api, lead):
    response = api.post(
        URL, event(direction="inbound", caller=CLIENT, callee="100", answered=False, event_id="pbx-m2"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["lead_id"] == lead.pk
    assert fresh(lead).sla_state == SlaState.PENDING
    assert Inquiry.objects.filter(lead=lead, external_id="pbx-m2", is_repeat=True).exists()


def test_outbound_call_to_a_number_without_an_open_lead_is_ignored(api):
    response = api.post(URL, event(callee="+79120009999"), format="json")
    assert response.status_code == 200
    assert response.json()["lead_id"] is None
    assert Lead.objects.count() == 0 and CallAttempt.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_id": ""}, "event_id"),
        ({"direction": "sideways"}, "direction"),
        ({"callee": "not a phone"}, "callee"),
        ({"direction": "inbound", "caller": "12"}, "caller"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2027-01-01T10:00:00+03:00"}, "started_at"),
        ({"duration": -1}, "duration"),
        ({"answered": None}, "answered"),
    ],
)
def test_bad_input_is_400_with_the_field_named(api, lead, overrides, field):
    response = api.post(URL, event(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert CallAttempt.objects.count() == 0


def test_missing_fields_are_400(api):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert {"event_id", "caller", "callee", "direction", "started_at", "duration", "answered"} <= set(response.json())


def test_without_a_token_is_401(lead):
    response = APIClient().post(URL, event(), format="json")
    assert response.status_code == 401
    assert CallAttempt.objects.count() == 0


def test_with_an_inactive_token_is_401(lead):
    token = api_token_issue(kind=ApiToken.Kind.TELEPHONY)
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.post(URL, event(), format="json").status_code == 401


def test_the_webhook_is_in_the_openapi_schema(admin_client):
    response = admin_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/calls/" in text
    assert "calls_create" in text
    assert "event_id" in text and "CallEvent" in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("operator", 0),  # found by schemathesis: a number where the schema says string was a 200
        ("operator", ["anna@example.com"]),
        ("event_id", 12),
        ("event_id", 1.5),
        ("direction", 0),
        ("started_at", 1764061200),
        ("duration", "94"),
        ("duration", 94.5),
        ("duration", True),
        ("answered", "true"),
        ("answered", 1),
        ("caller", 1.5),
        ("callee", True),
    ],
)
def test_json_values_must_have_the_type_the_schema_names(api, lead, field, value):
    response = api.post(URL, event(**{field: value}), format="json")
    assert response.status_code == 400, (field, value, response.content)
    assert list(response.json()) == [field]
    assert CallAttempt.objects.count() == 0


def test_phone_numbers_may_be_json_numbers_as_in_intake(api, lead):
    response = api.post(URL, event(caller=101, callee=89123456789), format="json")
    assert response.status_code == 201, response.content


def test_a_form_encoded_event_is_read_from_its_strings(api, lead):
    """PBXs post form-encoded webhooks: every value is a string there, and that is not a type error."""
    body = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in event().items()}
    response = api.post(URL, body)  # multipart, all strings
    assert response.status_code == 201, response.content
    assert CallAttempt.objects.get().duration_seconds == 94
