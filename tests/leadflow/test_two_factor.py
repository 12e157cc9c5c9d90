"""Two-factor sign-in (issue 12 §3): managers, the director and admins may turn it on, the director may
require it; qualifiers and reps never meet it. Codes are computed from the device's key at a moved clock."""

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from leadflow import roles
from leadflow.exceptions import PermissionRefused, TwoFactorRefused
from leadflow.models import SecurityEvent, SecurityPolicy
from leadflow.two_factor import services
from tests.factories import UserFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def code_for(device, *, steps_ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def turn_on(user):
    """Two-factor sign-in on through the services; returns the authenticator device and backup codes."""
    device = services.two_factor_start(user=user)
    device, codes = services.two_factor_confirm(user=user, token=code_for(device))
    return device, codes


def log_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "pass"})
    assert response.status_code == 302
    return response


def enter_code(client, token, next_url=""):
    return client.post(reverse("two_factor:verify"), {"token": token, "next": next_url})


@pytest.fixture
def manager():
    return make_user(roles.SALES_MANAGER, username="marat")


@pytest.fixture
def director():
    return make_user(roles.DIRECTOR, username="dina")


# --- turning it on -------------------------------------------------------------------------------


def test_manager_turns_it_on_with_a_code_from_the_key_and_gets_backup_codes(client, english, clock, manager):
    log_in(client, manager)
    page = client.get(reverse("two_factor:setup")).content.decode()
    assert "Two-factor sign-in is off" in page

    client.post(reverse("two_factor:start"))
    page = client.get(reverse("two_factor:setup")).content.decode()
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    assert 'src="data:image/svg+xml' in page  # the QR, drawn on the server: nothing for CSP to block
    assert "otpauth" not in page.split('src="data:')[0]  # the key is not leaked elsewhere in the page
    secret = page.split('data-testid="secret">')[1].split("<")[0].replace(" ", "")
    assert secret and __import__("base64").b32decode(secret) == device.bin_key

    wrong = client.post(
        reverse("two_factor:confirm"), {"token": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "Wrong code" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    clock.shift(2)  # the wrong code above costs a second's wait
    response = client.post(reverse("two_factor:confirm"), {"token": code_for(device)})
    assert response.status_code == 200
    codes = response.content.decode().split('data-testid="backup-codes">')[1].split("</ul>")[0]
    assert codes.count("<li") == services.BACKUP_CODE_COUNT
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=manager).count() == services.BACKUP_CODE_COUNT
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TWO_FACTOR_ENABLED, actor=manager).exists()
    # the session that confirmed the key has passed the code step
    assert client.get(reverse("reports:funnel")).status_code == 200
    assert "Two-factor sign-in is on" in client.get(reverse("two_factor:setup")).content.decode()


# --- signing in ----------------------------------------------------------------------------------


def test_login_asks_for_the_code_and_nothing_opens_without_it(client, english, clock, manager):
    device, _codes = turn_on(manager)
    clock.shift(30)
    log_in(client, manager)
    for url in (reverse("reports:funnel"), reverse("sales:index"), reverse("home"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("two_factor:verify")), url
    # nor can the settings page be used to change the second factor with the password alone
    assert client.get(reverse("two_factor:setup"))["Location"].startswith(reverse("two_factor:verify"))
    assert client.post(reverse("two_factor:disable"), {"token": "x"})["Location"] == reverse("two_factor:verify")

    page = client.get(reverse("reports:funnel"), follow=True)
    assert "Enter the code" in page.content.decode()

    response = enter_code(client, code_for(device), next_url=reverse("reports:funnel"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:funnel")
    assert client.get(reverse("reports:funnel")).status_code == 200


def test_a_wrong_code_is_refused_and_wrong_codes_are_throttled(client, english, clock, manager):
    device, _codes = turn_on(manager)
    clock.shift(30)
    log_in(client, manager)
    wrong = "000000" if code_for(device) != "000000" else "111111"

    response = enter_code(client, wrong)
    assert response.status_code == 400
    assert "Wrong code" in response.content.decode()
    # straight after a wrong code even the right one waits (django-otp's back-off: 1, 2, 4 … s)
    response = enter_code(client, code_for(device))
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("reports:funnel")).status_code == 302

    clock.shift(2)
    assert enter_code(client, code_for(device)).status_code == 302
    assert client.get(reverse("reports:funnel")).status_code == 200


def test_a_code_is_accepted_only_once(client, clock, manager):
    device, _codes = turn_on(manager)
    clock.shift(30)
    token = code_for(device)
    log_in(client, manager)
    assert enter_code(client, token).status_code == 302
    client.post(reverse("logout"))
    log_in(client, manager)
    clock.shift(5)  # same 30-second step: the same code again is a replay
    assert enter_code(client, token).status_code == 400


def test_a_backup_code_works_once(client, english, clock, manager):
    _device, codes = turn_on(manager)
    log_in(client, manager)
    assert enter_code(client, codes[0].upper()).status_code == 302
    assert client.get(reverse("reports:funnel")).status_code == 200
    assert StaticToken.objects.filter(device__user=manager).count() == services.BACKUP_CODE_COUNT - 1

    client.post(reverse("logout"))
    clock.shift(60)
    log_in(client, manager)
    response = enter_code(client, codes[0])
    assert response.status_code == 400
    assert client.get(reverse("reports:funnel")).status_code == 302
    clock.shift(2)
    assert enter_code(client, codes[1]).status_code == 302


def test_turning_it_off_needs_a_current_code(client, english, clock, manager):
    device, _codes = turn_on(manager)
    clock.shift(30)
    log_in(client, manager)
    enter_code(client, code_for(device))

    clock.shift(30)
    response = client.post(reverse("two_factor:disable"), {"token": "12345"})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()

    clock.shift(30)
    response = client.post(reverse("two_factor:disable"), {"token": code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticDevice.objects.filter(user=manager).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TWO_FACTOR_DISABLED, actor=manager).exists()

    client.post(reverse("logout"))
    log_in(client, manager)
    assert client.get(reverse("reports:funnel")).status_code == 200  # the password alone again


def test_next_after_the_code_stays_on_this_site(client, clock, manager):
    device, _codes = turn_on(manager)
    clock.shift(30)
    log_in(client, manager)
    response = enter_code(client, code_for(device), next_url="https://evil.example.com/")
    assert response["Location"] == reverse("home")


def test_admin_needs_the_code_too(client, clock):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    device, _codes = turn_on(admin)
    clock.shift(30)
    client.post(reverse("admin:login"), {"username": "root", "password": "pass", "next": "/admin/"})
    response = client.get("/admin/leadflow/lead/")
    assert response["Location"].startswith(reverse("two_factor:verify"))
    enter_code(client, code_for(device))
    assert client.get("/admin/leadflow/lead/").status_code == 200


# --- the director's requirement ------------------------------------------------------------------


def test_the_director_requirement_sends_managers_without_it_to_setup(client, english, clock, director, manager):
    device, _codes = turn_on(director)
    services.security_policy_update(actor=director, require_2fa_for_managers=True)
    assert SecurityPolicy.current().require_2fa_for_managers

    qlead = make_user(roles.QUALIFICATION_LEAD, username="lena")
    client.force_login(qlead)  # already signed in when the policy came: the next request is held all the same
    for url in (reverse("qualification:index"), reverse("reports:funnel"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("two_factor:setup")
    page = client.get(reverse("two_factor:setup")).content.decode()
    assert "The director requires two-factor sign-in for your role" in page

    client.post(reverse("two_factor:start"))
    pending = TOTPDevice.objects.get(user=qlead, confirmed=False)
    assert client.post(reverse("two_factor:confirm"), {"token": code_for(pending)}).status_code == 200
    assert client.get(reverse("qualification:index")).status_code == 200
    # required: it cannot be turned off
    clock.shift(30)
    response = client.post(reverse("two_factor:disable"), {"token": code_for(pending)})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=qlead, confirmed=True).exists()


def test_only_the_director_sets_the_requirement_and_only_with_their_own_second_factor(client, director, manager):
    with pytest.raises(PermissionRefused):
        services.security_policy_update(actor=manager, require_2fa_for_managers=True)
    with pytest.raises(TwoFactorRefused):
        services.security_policy_update(actor=director, require_2fa_for_managers=True)
    assert not SecurityPolicy.current().require_2fa_for_managers

    client.force_login(manager)
    assert client.post(reverse("two_factor:policy"), {"require_2fa_for_managers": "on"}).status_code == 404
    assert not SecurityPolicy.objects.exists()


def test_the_director_switches_the_requirement_on_the_page(client, clock, director):
    device, _codes = turn_on(director)
    client.force_login(director)
    clock.shift(30)
    enter_code(client, code_for(device))
    client.post(reverse("two_factor:policy"), {"require_2fa_for_managers": "on"})
    assert SecurityPolicy.current().require_2fa_for_managers
    assert SecurityPolicy.current().updated_by == director
    client.post(reverse("two_factor:policy"), {})
    assert not SecurityPolicy.current().require_2fa_for_managers
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TWO_FACTOR_POLICY_CHANGED).count() == 2


# --- who never meets it --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.QUALIFIER, roles.SALES_REP])
def test_qualifiers_and_reps_never_meet_it(client, clock, director, role):
    turn_on(director)
    services.security_policy_update(actor=director, require_2fa_for_managers=True)
    user = make_user(role, username="worker")
    log_in(client, user)
    home = client.get(reverse("home"), follow=True)
    assert home.status_code == 200
    assert reverse("two_factor:verify") not in home.redirect_chain[-1][0]
    assert 'data-testid="two-factor-link"' not in home.content.decode()
    for name in ("setup", "verify"):
        assert client.get(reverse(f"two_factor:{name}")).status_code in (302, 404)
    assert client.get(reverse("two_factor:setup")).status_code == 404
    assert client.post(reverse("two_factor:start")).status_code == 404
    assert not TOTPDevice.objects.filter(user=user).exists()
    with pytest.raises(PermissionRefused):
        services.two_factor_start(user=user)


def test_managers_without_it_sign_in_with_the_password_only(client, manager):
    log_in(client, manager)
    assert client.get(reverse("reports:funnel")).status_code == 200
    assert 'data-testid="two-factor-link"' in client.get(reverse("reports:funnel")).content.decode()


def test_the_requirement_is_also_in_the_admin_and_saved_through_the_service(client, clock):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    device, _codes = turn_on(admin)
    client.force_login(admin)
    clock.shift(30)
    enter_code(client, code_for(device))
    changelist = client.get(reverse("admin:leadflow_securitypolicy_changelist"))
    assert changelist["Location"] == reverse("two_factor:setup")  # no row yet: the page that explains it

    services.security_policy_update(actor=admin, require_2fa_for_managers=False)
    url = reverse("admin:leadflow_securitypolicy_change", args=[SecurityPolicy.SINGLETON_PK])
    assert client.get(reverse("admin:leadflow_securitypolicy_changelist"))["Location"] == url
    response = client.post(url, {"require_2fa_for_managers": "on"})
    assert response.status_code == 302
    assert SecurityPolicy.current().require_2fa_for_managers
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TWO_FACTOR_POLICY_CHANGED, actor=admin).exists()
