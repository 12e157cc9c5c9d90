"""Nobody can rewrite the SLA clock through the telephony webhook: its own credential kind, no calls
before the lead existed or from long ago, an SLA state that only moves forward, and who reported it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from leadflow.models import ApiToken, Lead, SlaState, Source
from leadflow.services import api_token_issue, lead_receive
from qualification.models import CallAttempt
from qualification.sla import sla_check_lead
from tests.factories import qualification_team, source

pytestmark = pytest.mark.django_db

URL = "/api/v1/calls/"
MSK = ZoneInfo("Europe/Moscow")
RECEIVED = datetime(2026, 11, 25, 12, 0, tzinfo=MSK)  # a Wednesday, inside working hours
CLIENT = "+79123456789"


@pytest.fixture(autouse=True)
def _team():
    qualification_team()


def client_for(token):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def pbx_token():
    return api_token_issue(kind=ApiToken.Kind.TELEPHONY, name="Mango PBX")


@pytest.fixture
def pbx(pbx_token):
    return client_for(pbx_token)


@pytest.fixture
def lead():
    return lead_receive(source=source("website"), phone=CLIENT, received_at=RECEIVED).lead


def event(**overrides):
    return {
        "event_id": "pbx-1",
        "caller": "101",
        "callee": CLIENT,
        "direction": "outbound",
        "started_at": (RECEIVED + timedelta(minutes=10)).isoformat(),
        "duration": 94,
        "answered": True,
        **overrides,
    }


@pytest.mark.parametrize("code", ["avito", "website", "call_tracking"])
def test_an_intake_token_cannot_report_calls(lead, code):
    marketplace = client_for(api_token_issue(source=Source.objects.get(code=code)))
    with time_machine.travel(RECEIVED + timedelta(minutes=12), tick=False):
        response = marketplace.post(URL, event(), format="json")
    assert response.status_code == 403, response.content
    assert CallAttempt.objects.count() == 0
    assert Lead.objects.get().sla_state == SlaState.PENDING


def test_an_intake_token_cannot_create_a_call_tracking_lead():
    website = client_for(api_token_issue(source=Source.objects.get(code="website")))
    with time_machine.travel(RECEIVED, tick=False):
        response = website.post(URL, event(direction="inbound", caller=CLIENT, callee="101"), format="json")
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_a_telephony_token_cannot_deliver_leads(pbx):
    response = pbx.post("/api/v1/leads/", {"phone": CLIENT}, format="json")
    assert response.status_code == 403, response.content
    assert Lead.objects.count() == 0


def test_a_telephony_token_has_no_source():
    token = api_token_issue(kind=ApiToken.Kind.TELEPHONY)
    assert token.source_id is None
    with pytest.raises(Exception):  # noqa: B017 - the database's check constraint, any backend's error
        api_token_issue(kind=ApiToken.Kind.INTAKE)


def test_a_call_before_the_lead_was_received_is_refused(pbx, lead):
    with time_machine.travel(RECEIVED + timedelta(minutes=30), tick=False):
        response = pbx.post(URL, event(started_at=(RECEIVED - timedelta(minutes=5)).isoformat()), format="json")
    assert response.status_code == 400, response.content
    assert "started_at" in response.json()
    assert "before the lead" in response.json()["started_at"][0]
    assert CallAttempt.objects.count() == 0
    assert Lead.objects.get().first_call_at is None


@pytest.mark.parametrize("started_at", ["1970-01-01T00:00:00+00:00", "2026-11-20T12:00:00+03:00"])
def test_a_call_far_in_the_past_is_refused(pbx, lead, started_at):
    with time_machine.travel(RECEIVED + timedelta(minutes=30), tick=False):
        response = pbx.post(URL, event(started_at=started_at), format="json")
    assert response.status_code == 400
    assert "started_at" in response.json()
    assert CallAttempt.objects.count() == 0


def test_a_breached_lead_never_becomes_met_by_a_back_dated_call(pbx, lead):
    with time_machine.travel(RECEIVED + timedelta(minutes=25), tick=False):
        sla_check_lead(lead_id=lead.pk, kind="breach")
        assert Lead.objects.get().sla_state == SlaState.BREACHED
        # the event claims the call was made at 12:05, before the breach fired
        response = pbx.post(URL, event(started_at=(RECEIVED + timedelta(minutes=5)).isoformat()), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["sla_state"] == SlaState.MET_LATE
    lead = Lead.objects.get()
    assert lead.sla_state == SlaState.MET_LATE
    assert lead.sla_breached_at is not None


def test_a_met_late_lead_stays_met_late_when_an_earlier_call_is_reported(pbx, lead):
    with time_machine.travel(RECEIVED + timedelta(minutes=40), tick=False):
        pbx.post(URL, event(event_id="late", started_at=(RECEIVED + timedelta(minutes=30)).isoformat()), format="json")
        assert Lead.objects.get().sla_state == SlaState.MET_LATE
        pbx.post(URL, event(event_id="early", started_at=(RECEIVED + timedelta(minutes=3)).isoformat()), format="json")
    assert Lead.objects.get().sla_state == SlaState.MET_LATE


def test_the_call_records_the_credential_that_reported_it(pbx, pbx_token, lead):
    with time_machine.travel(RECEIVED + timedelta(minutes=12), tick=False):
        response = pbx.post(URL, event(), format="json")
    assert response.status_code == 201
    attempt = CallAttempt.objects.get()
    assert attempt.reported_by == pbx_token
    assert "Mango PBX" in str(attempt.reported_by)
