"""Regressions for what the fuzzers found (each was a 500 or a schema violation before the fix)."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from leadflow.models import Inquiry, Lead, Source
from leadflow.services import api_token_issue

from .schema import documented_statuses, openapi

URL = "/api/v1/leads/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    token = api_token_issue(source=Source.objects.get(code="website"))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def post_raw(api, body, content_type="application/json"):
    return api.generic("POST", URL, body if isinstance(body, bytes) else body.encode(), content_type=content_type)


def test_nul_in_an_unknown_key_is_stored_without_it(api):
    """PostgreSQL's jsonb refuses \\u0000: the raw payload made a valid delivery a 500."""
    response = api.post(URL, {"phone": "+79123456789", "tilda\x00": "a\x00b", "nested": ["\x00"]}, format="json")
    assert response.status_code == 201, response.content
    assert Inquiry.objects.get().payload == {"phone": "+79123456789", "tilda": "ab", "nested": [""]}


def test_nul_in_a_known_field_is_a_400(api):
    response = api.post(URL, {"phone": "+79123456789", "name": "A\x00"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


@pytest.mark.parametrize(
    "body",
    [
        '{"phone": "\\ud800"}',  # echoed in the phone error: the response could not be encoded
        '{"phone": "+79123456789", "product_interest": "\\udfff"}',
        '{"phone": "+79123456789", "x\\ud800": 1}',  # an unknown key: the database could not store it
    ],
)
def test_a_lone_surrogate_is_a_400_not_a_500(api, body):
    response = post_raw(api, body)
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize("depth", [25, 5_000, 100_000])
def test_deep_nesting_is_a_400_not_a_500(api, depth):
    """100,000 levels made json.loads raise RecursionError, which DRF does not turn into a 400."""
    response = post_raw(api, '{"phone": "+79123456789", "x": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_a_flat_delivery_with_a_little_nesting_is_still_accepted(api):
    response = api.post(URL, {"phone": "+79123456789", "utm": {"tags": [["a"], {"b": 1}]}}, format="json")
    assert response.status_code == 201


def test_identifiers_may_be_json_numbers_but_text_fields_must_be_strings(api):
    response = api.post(URL, {"phone": 89123456789, "external_id": 1842}, format="json")
    assert response.status_code == 201, response.content
    assert Inquiry.objects.get().external_id == "1842"
    assert Lead.objects.get().phone == "+79123456789"
    for field, value in [("name", 12), ("city", 1.5), ("utm_campaign", 0), ("external_id", True), ("phone", 7.5)]:
        response = api.post(URL, {"phone": "+79123456780", field: value}, format="json")
        assert response.status_code == 400, (field, value)
        assert list(response.json()) == [field]


def test_unsupported_media_type_is_a_documented_415(api):
    response = post_raw(api, "phone=+79123456789", content_type="text/plain")
    assert response.status_code == 415
    assert {"415", "400", "401"} <= documented_statuses("/api/v1/leads/", "post")
    assert "415" in documented_statuses("/api/v1/calls/", "post")


def test_a_400_for_a_broken_body_matches_the_documented_shape(api):
    response = post_raw(api, "{not json")
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body["detail"], str)
    schema = openapi()["paths"]["/api/v1/leads/"]["post"]["responses"]["400"]["content"]["application/json"]
    assert schema["schema"]["additionalProperties"]["oneOf"][1] == {"type": "string"}
    json.dumps(body)


def test_web_form_with_nul_in_an_extra_field_saves_the_lead(settings):
    settings.INTAKE_FORM_RATE = "1000/m"
    client = Client(REMOTE_ADDR="198.51.100.10")
    data = {"name": "Анна", "phone": "+79123456789", "consent": "on", "website": "", "ref\x00": "x\x00y"}
    response = client.post("/intake/", data)
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.payload["ref"] == "xy"
