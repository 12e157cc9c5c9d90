"""API credentials that can't leak (issue 12 §2): stored hashed, shown once, revocable, expiring,
rotated with an overlap, rate-limited per token, refused uses in the security log."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leadflow import roles, services
from leadflow.exceptions import TransitionRefused
from leadflow.models import ApiToken, Lead, SecurityEvent, Source, api_key_hash
from tests.factories import make_user

URL = "/api/v1/leads/"
pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # the throttle's and the security log's counters
    yield
    cache.clear()


def website():
    return Source.objects.get(code="website")


def post(key, phone="+79123456789", **extra):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=extra.pop("ip", "203.0.113.7"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.post(URL, {"phone": phone, **extra}, format="json")


def test_the_key_is_stored_only_as_its_hash():
    token = services.api_token_issue(source=website(), name="site")
    assert token.key.startswith("lf_") and len(token.key) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert not hasattr(stored, "key")
    assert stored.key_hash == api_key_hash(token.key) and token.key not in stored.key_hash
    assert stored.prefix == token.key[:10]
    assert post(token.key).status_code == 201


def test_the_admin_shows_the_key_once_and_never_again(client):
    director = make_user(roles.DIRECTOR, username="boss", is_staff=True)
    director.user_permissions.add(*Permission.objects.filter(codename__endswith="_apitoken"))
    client.force_login(director)
    response = client.post(
        reverse("admin:leadflow_apitoken_add"),
        {"kind": "intake", "source": website().pk, "name": "Avito feed"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Avito feed")
    page = response.content.decode()
    key = re.search(r"Authorization: Token (lf_[\w-]+)", page).group(1)
    assert api_key_hash(key) == token.key_hash  # the message carried the real key
    assert token.created_by == director
    for url in (
        reverse("admin:leadflow_apitoken_change", args=[token.pk]),
        reverse("admin:leadflow_apitoken_changelist"),
    ):
        again = client.get(url).content.decode()
        assert key not in again and key[10:20] not in again
        assert token.prefix in again


def test_view_only_staff_see_no_tokens(client):
    qlead = make_user(roles.QUALIFICATION_LEAD, username="qlead", is_staff=True)
    qlead.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    services.api_token_issue(source=website(), name="site")
    client.force_login(qlead)
    assert client.get(reverse("admin:leadflow_apitoken_changelist")).status_code == 403
    assert client.get(reverse("admin:leadflow_securityevent_changelist")).status_code == 403
    assert "apitoken" not in client.get(reverse("admin:index")).content.decode()


def test_a_revoked_key_is_401_and_in_the_security_log():
    admin = User.objects.create_superuser("root", "root@example.com", "pass")
    token = services.api_token_issue(source=website())
    services.api_token_revoke(token_id=token.pk, actor=admin)
    response = post(token.key, ip="203.0.113.9")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert Lead.objects.count() == 0
    kinds = list(SecurityEvent.objects.order_by("pk").values_list("kind", "actor__username", "ip"))
    assert kinds == [
        ("token_issued", None, None),
        ("token_revoked", "root", None),
        ("revoked_token_used", None, "203.0.113.9"),
    ]


def test_an_expired_key_is_401_and_in_the_security_log():
    token = services.api_token_issue(source=website(), expires_at=timezone.now() + timedelta(days=30))
    assert post(token.key).status_code == 201
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = post(token.key, phone="+79123456780")
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert SecurityEvent.objects.filter(kind="expired_token_used", token=token).count() == 1


def test_an_unknown_key_is_logged_by_its_first_characters_only():
    assert post("lf_notarealkey_0123456789").status_code == 401
    event = SecurityEvent.objects.get(kind="unknown_token_used")
    assert event.detail == "lf_notarea" and event.token is None


def test_a_key_hammered_in_a_loop_does_not_fill_the_log():
    token = services.api_token_issue(source=website())
    services.api_token_revoke(token_id=token.pk, actor=None)
    for _ in range(30):
        assert post(token.key).status_code == 401
    assert SecurityEvent.objects.filter(kind="revoked_token_used").count() == 5


def test_rotation_gives_a_new_key_and_the_old_one_works_for_the_overlap():
    old = services.api_token_issue(source=website(), name="site", rate_limit="100/m")
    new = services.api_token_rotate(token_id=old.pk, actor=None, overlap=timedelta(hours=24))
    assert (new.kind, new.source, new.name, new.rate_limit, new.rotated_from_id) == (
        "intake",
        website(),
        "site",
        "100/m",
        old.pk,
    )
    assert post(new.key).status_code == 201
    assert post(old.key, phone="+79123456780").status_code == 201  # still inside the overlap
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert post(old.key, phone="+79123456781").status_code == 401
        assert post(new.key, phone="+79123456782").status_code == 201
    assert SecurityEvent.objects.filter(kind="token_rotated", token=old).exists()


def test_a_revoked_token_cannot_be_rotated():
    token = services.api_token_issue(source=website())
    services.api_token_revoke(token_id=token.pk, actor=None)
    with pytest.raises(TransitionRefused):
        services.api_token_rotate(token_id=token.pk, actor=None)


def test_last_use_records_when_and_from_where():
    token = services.api_token_issue(source=website())
    post(token.key, ip="198.51.100.20")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "198.51.100.20"


def test_over_the_tokens_rate_limit_is_a_json_429_with_retry_after():
    """Counted per minute window: the fourth request of a minute is refused until the next one begins."""
    token = services.api_token_issue(source=website(), rate_limit="3/m")
    minute = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with time_machine.travel(minute + timedelta(seconds=15), tick=False):
        answers = [post(token.key, phone=f"+7912345670{i}").status_code for i in range(5)]
        assert answers == [201, 201, 201, 429, 429]
        response = post(token.key, phone="+79123456709")
        assert response["Content-Type"].startswith("application/json")
        assert int(response["Retry-After"]) == 45  # the seconds left of this minute
        assert response.json()["detail"]
        assert Lead.objects.count() == 3
        other = services.api_token_issue(source=website())  # the limit is per token
        assert post(other.key, phone="+79123456710").status_code == 201
    with time_machine.travel(minute + timedelta(seconds=60), tick=False):
        assert post(token.key, phone="+79123456711").status_code == 201


def test_without_its_own_limit_a_token_has_the_default(settings):
    settings.API_TOKEN_RATE = "2/m"
    token = services.api_token_issue(source=website())
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, 10, tzinfo=UTC), tick=False):
        assert [post(token.key, phone=f"+7912345670{i}").status_code for i in range(3)] == [201, 201, 429]


def test_the_telephony_webhook_is_rate_limited_too():
    token = services.api_token_issue(kind=ApiToken.Kind.TELEPHONY, rate_limit="1/m")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, 10, tzinfo=UTC), tick=False):
        assert client.post("/api/v1/calls/", {}, format="json").status_code == 400
        assert client.post("/api/v1/calls/", {}, format="json").status_code == 429


def test_a_bad_rate_limit_is_refused_with_a_message():
    with pytest.raises(Exception) as excinfo:
        services.api_token_issue(source=website(), rate_limit="lots")
    assert "600/m" in str(excinfo.value)


def test_a_token_revoked_in_this_process_stops_at_once_though_it_was_cached():
    token = services.api_token_issue(source=website())
    assert post(token.key).status_code == 201  # now cached (leadflow.hotcache)
    services.api_token_revoke(token_id=token.pk, actor=None)
    assert post(token.key, phone="+79123456780").status_code == 401


def test_a_token_revoked_by_another_process_stops_within_the_cache_ttl(settings):
    """Another gunicorn worker's cache does not see this process's save: it expires after HOT_CACHE_SECONDS."""
    settings.HOT_CACHE_SECONDS = 5
    token = services.api_token_issue(source=website())
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert post(token.key).status_code == 201
        ApiToken.objects.filter(pk=token.pk).update(is_active=False)  # no signal: as seen from another process
        clock.shift(timedelta(seconds=4))
        assert post(token.key, phone="+79123456780").status_code == 201  # still cached: the stated window
        clock.shift(timedelta(seconds=1.5))
        response = post(token.key, phone="+79123456781")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert Lead.objects.count() == 2
