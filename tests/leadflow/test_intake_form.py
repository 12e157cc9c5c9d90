"""The public form on /intake/: embeddable, CSRF-protected, a honeypot and a per-IP rate limit."""

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from leadflow.models import Inquiry, Lead

URL = "/intake/"
GOOD = {
    "name": "Иван Петров",
    "phone": "8 (912) 345-67-89",
    "email": "",
    "city": "Москва",
    "product_interest": "custom",
    "message": "Кухня 3 метра",
    "consent": "on",
    "utm_source": "vk",
    "utm_medium": "social",
    "utm_campaign": "autumn",
    "website": "",
}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    return Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


pytestmark = pytest.mark.django_db


def test_form_renders_embeddable_with_csrf_and_utm_from_the_query(client):
    response = client.get(URL, {"utm_source": "yandex", "utm_campaign": "spring"})
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers  # may be shown in an iframe on the company site
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="website"' in html  # the honeypot is there for bots
    assert 'value="yandex"' in html and 'value="spring"' in html


def test_other_pages_still_refuse_frames(client):
    assert client.get("/login/").headers["X-Frame-Options"] == "DENY"


def test_success_saves_a_website_lead_and_shows_thank_you(client):
    response = client.post(URL, GOOD)
    assert response.status_code == 302
    assert response.url == "/intake/?sent=1"
    lead = Lead.objects.get()
    assert (lead.phone, lead.name, lead.city, lead.product_interest) == (
        "+79123456789",
        "Иван Петров",
        "Москва",
        "custom",
    )
    assert lead.source.code == "website"
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("vk", "social", "autumn")
    inquiry = lead.inquiries.get()
    assert inquiry.channel == "form"
    assert inquiry.payload["consent"] == "on"
    assert "csrfmiddlewaretoken" not in inquiry.payload
    done = client.get(response.url)
    assert done.status_code == 200
    assert 'data-testid="intake-done"' in done.content.decode()


def test_second_request_from_the_same_phone_attaches_to_the_open_lead(client):
    client.post(URL, GOOD)
    client.post(URL, {**GOOD, "phone": "+7 912 345 67 89", "message": "Ещё вопрос"})
    lead = Lead.objects.get()
    assert [i.is_repeat for i in lead.inquiries.order_by("pk")] == [False, True]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"phone": "позвоните мне"}, "phone", "is not a phone number"),
        ({"phone": "123"}, "phone", "is not a valid phone number"),
        ({"phone": ""}, "phone", "This field is required."),
        ({"name": ""}, "name", "This field is required."),
        ({"email": "ivan@"}, "email", "valid email"),
        ({"consent": ""}, "consent", "consent"),
        ({"product_interest": "yacht"}, "product_interest", "Select a valid choice"),
    ],
)
def test_errors_are_shown_next_to_the_field_and_nothing_is_saved(client, change, field, message):
    response = client.post(URL, {**GOOD, **change})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Lead.objects.exists()
    assert not Inquiry.objects.exists()


def test_typed_values_are_kept_after_an_error(client):
    response = client.post(URL, {**GOOD, "phone": "abc"})
    assert 'value="Иван Петров"' in response.content.decode()


def test_honeypot_pretends_success_and_saves_nothing(client):
    response = client.post(URL, {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 302
    assert response.url == "/intake/?sent=1"
    assert not Lead.objects.exists()
    assert not Inquiry.objects.exists()


def test_rate_limit_per_ip_answers_429_with_a_message(client, settings):
    settings.INTAKE_FORM_RATE = "3/m"
    with time_machine.travel("2026-03-02 10:00:05+03:00", tick=False):
        for i in range(3):
            assert client.post(URL, {**GOOD, "phone": f"+7912345678{i}"}).status_code == 302
        blocked = client.post(URL, {**GOOD, "phone": "+79001234567"})
        assert blocked.status_code == 429
        assert "Too many requests" in blocked.content.decode()
        assert 'value="Иван Петров"' in blocked.content.decode()  # nothing typed is lost
        # another client is not affected
        assert Client(REMOTE_ADDR="198.51.100.1").post(URL, GOOD).status_code == 302
    assert Lead.objects.count() == 4
    assert not Lead.objects.filter(phone="+79001234567").exists()
    with time_machine.travel("2026-03-02 10:01:05+03:00", tick=False):  # the next minute
        assert client.post(URL, {**GOOD, "phone": "+79001234567"}).status_code == 302


def test_default_rate_is_ten_a_minute(client, settings):
    assert settings.INTAKE_FORM_RATE == "10/m"
    with time_machine.travel("2026-03-02 10:00:05+03:00", tick=False):
        codes = [client.post(URL, {**GOOD, "website": "bot"}).status_code for _ in range(11)]
    assert codes == [302] * 10 + [429]


def test_csrf_is_enforced():
    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.8", HTTP_ACCEPT_LANGUAGE="en")
    assert strict.post(URL, GOOD).status_code == 403
    assert not Lead.objects.exists()
    strict.get(URL)
    token = strict.cookies["csrftoken"].value
    assert strict.post(URL, {**GOOD, "csrfmiddlewaretoken": token}).status_code == 302
    assert Lead.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_sends_the_form_in_a_real_browser(page):
    page.goto(f"{page.base_url}{URL}?utm_source=site")
    page.fill("#id_name", "Мария")
    page.fill("#id_phone", "abc")
    page.check("#id_consent")
    page.click("button[type=submit]")
    assert page.locator('[data-testid="error-phone"]').is_visible()
    box = page.locator("#id_website").bounding_box()
    assert box["x"] + box["width"] < 0  # the honeypot is off-screen: people never see it
    page.save_screenshot("intake_form_error")
    page.fill("#id_phone", "8 (912) 345-67-89")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="intake-done"]')
    page.save_screenshot("intake_form_done")
    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.utm_source) == ("Мария", "+79123456789", "site")


def test_behind_a_proxy_the_configured_header_names_the_client(settings):
    """With INTAKE_CLIENT_IP_HEADER set, visitors behind one proxy address are limited separately."""
    settings.INTAKE_FORM_RATE = "1/m"
    settings.INTAKE_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    proxy = Client(REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    with time_machine.travel("2026-03-02 10:00:05+03:00", tick=False):
        assert proxy.post(URL, GOOD, HTTP_X_REAL_IP="203.0.113.1").status_code == 302
        assert proxy.post(URL, GOOD, HTTP_X_REAL_IP="203.0.113.2").status_code == 302
        assert proxy.post(URL, GOOD, HTTP_X_REAL_IP="203.0.113.2").status_code == 429


def test_rate_parsing():
    from leadflow.ratelimit import parse_rate

    assert parse_rate("10/m") == (10, 60)
    assert parse_rate("100/hour") == (100, 3600)
    with pytest.raises(ValueError):
        parse_rate("ten per minute")
