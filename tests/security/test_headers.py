"""CSRF on every form, the production security headers and cookie flags, the embeddable intake form,
the token-only API, the Content-Security-Policy and `check --deploy`.

Login throttling (django-axes) is tested in tests/leadflow/test_login_throttling.py; the intake
form's rate limit in tests/leadflow/test_intake_form.py.
"""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from leadflow.models import Lead

from .test_permission_matrix import MATRIX, _url, fingerprint
from .world import NOW, build_world

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# The security settings of leadflow/settings/production.py applied on top of the test settings.
PRODUCTION_KEYS = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
)
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}  # what the reverse proxy in front of gunicorn sets


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield build_world()


@pytest.fixture
def production(settings, monkeypatch):
    """The real production module's security settings (read with a throwaway key and host)."""
    monkeypatch.setenv("SECRET_KEY", "test-only-" + "x" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    sys.modules.pop("leadflow.settings.production", None)
    module = importlib.import_module("leadflow.settings.production")
    sys.modules.pop("leadflow.settings.production", None)
    for key in PRODUCTION_KEYS:
        setattr(settings, key, getattr(module, key))
    return module


# --- CSRF ----------------------------------------------------------------------------------------

POST_FORMS = sorted(name for name, row in MATRIX.items() if row.method == "POST" and not name.startswith("api-"))


@pytest.mark.parametrize("name", POST_FORMS)
def test_every_post_action_refuses_a_request_without_a_csrf_token(world, name):
    """Even for the user the action is meant for (the manager, the team lead…): 403, nothing changed."""
    row = MATRIX[name]
    # a role the action is meant for: it gets past the permission check (400 = a wrong one-time code,
    # 200 = a POST that answers with a download, the personal data export, 409 = refused by the lead's
    # state on the page: the book-and-hand-off of a lead whose checklist is unanswered)
    allowed = next(
        role for role, status in row.expect.items() if status in (200, 302, 400, 409, "login") and role != "anonymous"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people[allowed])
    before = fingerprint()
    with time_machine.travel(NOW, tick=False):
        response = client.post(_url(world, name), row.data(world) if row.data else {})
    assert response.status_code == 403
    assert fingerprint() == before


@pytest.mark.parametrize("name", ["intake", "login"])
def test_public_forms_refuse_a_post_without_a_csrf_token(db, name):
    client = Client(enforce_csrf_checks=True)
    data = {"name": "x", "phone": "+79161234567", "consent": "on", "username": "x", "password": "y"}
    assert client.post(reverse(name), data).status_code == 403
    assert not Lead.objects.filter(phone="+79161234567").exists()


def test_a_forged_token_is_refused_too(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["manager"])
    client.cookies["csrftoken"] = "a" * 32
    url = reverse("sales:accept", args=[world.leads["deal_a"].pk])
    assert client.post(url, {"csrfmiddlewaretoken": "b" * 32}).status_code == 403


FORM_PAGES = [
    ("qlead", lambda w: reverse("qualification:lead", args=[w.leads["held_a"].pk])),
    ("qlead", lambda w: reverse("qualification:index")),
    ("manager", lambda w: reverse("sales:deal", args=[w.leads["deal_a"].pk])),
    ("manager", lambda w: reverse("sales:deal", args=[w.leads["measured_a"].pk])),
    ("manager", lambda w: reverse("sales:deal", args=[w.leads["visit_a"].pk])),
    ("manager", lambda w: reverse("sales:index")),
    ("manager", lambda w: reverse("sales:arbitration")),
    ("qlead", lambda w: reverse("sales:slots") + f"?lead={w.leads['held_a'].pk}"),
    ("rep", lambda w: reverse("notifications")),
    (None, lambda w: reverse("intake")),
    (None, lambda w: reverse("login")),
]
POST_FORM = re.compile(r"<form\b[^>]*method=[\"']?post[\"']?[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


@pytest.mark.parametrize(("role", "url"), FORM_PAGES)
def test_every_post_form_on_the_pages_carries_the_csrf_token(world, role, url):
    client = Client()
    if role:
        client.force_login(world.people[role])
    with time_machine.travel(NOW, tick=False):
        html = client.get(url(world)).content.decode()
    forms = POST_FORM.findall(html)
    assert forms, "no POST form on the page"
    for body in forms:
        assert 'name="csrfmiddlewaretoken"' in body
    # htmx requests send the token from the <body hx-headers>, which holds the same token
    if role:
        assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{64}\"\}'", html)


# --- the API: token auth only --------------------------------------------------------------------


def test_api_views_authenticate_by_token_only():
    """No SessionAuthentication: a logged-in browser (or a forged cross-site form riding its cookie)
    is never authenticated by the API, so its CSRF exemption does not open a hole."""
    from rest_framework.authentication import BasicAuthentication, SessionAuthentication
    from rest_framework.views import APIView

    from .test_permission_matrix import url_patterns

    classes = django_settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    assert not any("Session" in path or "Basic" in path for path in classes)
    from django.urls import resolve

    checked = 0
    for route, name in url_patterns():
        if not route.startswith("api/"):
            continue
        sample = re.sub(r"<str:\w+>", "x", re.sub(r"<int:\w+>", "1", route))  # a route with parameters
        view = resolve("/" + sample).func
        view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
        if view_class is None or not issubclass(view_class, APIView):
            continue
        for auth in view_class().get_authenticators():
            assert not isinstance(auth, SessionAuthentication | BasicAuthentication), (name, auth)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("url", ["/api/v1/leads/", "/api/v1/calls/"])
def test_a_session_user_cannot_use_the_api(world, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["director"])
    client.cookies["csrftoken"] = "s" * 32
    before = Lead.objects.count()
    body = {"phone": "+79161234567", "csrfmiddlewaretoken": "s" * 32}
    response = client.post(url, body)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Lead.objects.count() == before


# --- production headers and cookies --------------------------------------------------------------


def test_production_settings_are_the_hardened_ones(production):
    assert production.DEBUG is False
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 30
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert production.SECURE_REFERRER_POLICY == "same-origin"
    assert production.SECURE_SSL_REDIRECT is True


def test_plain_http_is_redirected_to_https(production, db):
    response = Client().get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_security_headers_on_an_https_page(production, world):
    client = Client()
    client.force_login(world.people["manager"])
    response = client.get(reverse("sales:index"), **HTTPS)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=2592000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


def _csp(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(production, world):
    client = Client()
    page = client.get(reverse("login"), **HTTPS)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] is True and csrf["samesite"] == "Lax"
    token = csrf.value
    response = client.post(
        reverse("login"),
        {"username": "sec_manager", "password": "pass", "csrfmiddlewaretoken": token},
        **HTTPS,
    )
    assert response.status_code == 302, response.content[:500]
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_the_intake_form_is_embeddable_but_still_csrf_protected(production, db):
    response = Client().get(reverse("intake"), **HTTPS)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # other pages: DENY
    assert _csp(response)["frame-ancestors"] == django_settings.INTAKE_FRAME_ANCESTORS
    # its <style> carries the nonce the header allows
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()
    # a post without the token is refused
    client = Client(enforce_csrf_checks=True)
    form = {"name": "x", "phone": "+79161234567", "consent": "on"}
    assert client.post(reverse("intake"), form, **HTTPS).status_code == 403
    assert not Lead.objects.filter(phone="+79161234567").exists()


def test_the_csp_nonce_is_new_on_every_response(db):
    first = Client().get(reverse("intake"))["Content-Security-Policy"]
    second = Client().get(reverse("intake"))["Content-Security-Policy"]
    assert re.search(r"'nonce-[^']+'", first)
    assert first != second


# --- check --deploy ------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    """The same command as `make lint` (run by .ci/run)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadflow.settings.production",
        "SECRET_KEY": "check-only-" + "k" * 50,
        "ALLOWED_HOSTS": "crm.example.ru",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
