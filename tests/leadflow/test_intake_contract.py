"""The intake API's contract at its edges: a reused idempotency key, a body too large, a database that
is down, a phone typed with letters. Each answer is JSON and in the schema, and nothing is half-saved."""

import pytest
from django.db import OperationalError, connection

from leadflow.models import Inquiry, Lead
from tests.reliability.schema import documented_statuses, validate_body

URL = "/api/v1/leads/"
PAYLOAD = {
    "name": "Анна Смирнова",
    "phone": "8 (912) 345-67-89",
    "email": "anna@example.com",
    "external_id": "order-1",
    "message": "Угловая кухня",
    "product_interest": "custom",
    "city": "Москва",
    "utm_source": "yandex",
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(russian_api):
    return russian_api


class TestReusedKey:
    """Like a reused Idempotency-Key (IETF draft, Stripe): the same key with another body is refused."""

    def test_the_same_body_again_is_the_same_lead(self, api):
        first = api.post(URL, PAYLOAD, format="json")
        again = api.post(URL, {**PAYLOAD, "phone": "+7 912 345 67 89", "name": " Анна Смирнова "}, format="json")
        assert (first.status_code, again.status_code) == (201, 200), again.content
        assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]

    def test_a_different_body_is_422_naming_the_first_lead_and_the_fields(self, api):
        first = api.post(URL, PAYLOAD, format="json").json()
        response = api.post(URL, {**PAYLOAD, "name": "Борис", "city": "Тверь"}, format="json")
        assert response.status_code == 422, response.content
        body = response.json()
        assert body["lead_id"] == first["id"]
        assert sorted(body["fields"]) == ["city", "name"]
        assert "order-1" in body["detail"] and f"#{first['id']}" in body["detail"]
        validate_body("/api/v1/leads/", "post", 422, body)
        lead = Lead.objects.get()
        assert (lead.name, lead.city) == ("Анна Смирнова", "Москва")  # the new data did not overwrite
        assert Inquiry.objects.count() == 1

    def test_a_field_left_out_the_second_time_is_a_difference(self, api):
        api.post(URL, PAYLOAD, format="json")
        body = {key: value for key, value in PAYLOAD.items() if key != "message"}
        response = api.post(URL, body, format="json")
        assert response.status_code == 422
        assert response.json()["fields"] == ["message"]

    def test_a_different_phone_is_a_difference(self, api):
        api.post(URL, PAYLOAD, format="json")
        response = api.post(URL, {**PAYLOAD, "phone": "+79123456700"}, format="json")
        assert response.status_code == 422
        assert response.json()["fields"] == ["phone"]


def test_a_body_over_the_limit_is_a_json_413_in_the_schema(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post(URL, {**PAYLOAD, "message": "x" * 20_000}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "413" in documented_statuses("/api/v1/leads/", "post")
    validate_body("/api/v1/leads/", "post", 413, response.json())
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("url", ["/api/v1/leads/", "/api/v1/calls/"])
def test_a_database_outage_is_a_json_503_with_retry_after(api, url):
    def down(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(down):
        response = api.post(url, PAYLOAD, format="json")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"]
    assert "503" in documented_statuses(url, "post")
    validate_body(url, "post", 503, response.json())


@pytest.mark.parametrize("phone", ["+7 916 1OO 1O 22", "8 916 CALL NOW", "+7 (916) 123-45-6I"])
def test_a_phone_with_letters_is_a_400_not_a_guessed_number(api, phone):
    response = api.post(URL, {**PAYLOAD, "phone": phone}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["phone"]
    assert Lead.objects.count() == 0


def test_an_extension_written_in_words_is_still_a_phone(api):
    response = api.post(URL, {**PAYLOAD, "phone": "+7 (912) 345-67-89 доб. 12"}, format="json")
    assert response.status_code == 201, response.content
    assert Lead.objects.get().phone == "+79123456789"
