"""The director turns on two-factor sign-in in a real browser (Russian UI, strict CSP) and signs in with the code."""

import time
from base64 import b32decode

import pytest
import time_machine
from django_otp.oath import TOTP

from leadflow import roles
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from_secret(secret, *, steps_ahead=0):
    """What the phone shows: the key typed by hand from the page (one step ahead = the next code,
    which the server's tolerance of one step accepts, so a second code in the same 30 s is not a replay)."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_director_turns_on_two_factor_and_signs_in_with_the_code(page):
    make_user(roles.DIRECTOR, username="dina", first_name="Дина", last_name="Орлова")
    csp_errors = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.login("dina")

    page.click('[data-testid="two-factor-link"]')
    assert page.locator("h1").inner_text() == "Двухфакторный вход"
    page.click("text=Настроить двухфакторный вход")
    qr = page.locator('[data-testid="qr"]')
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the server-drawn SVG loaded under CSP
    secret = page.locator('[data-testid="secret"]').inner_text()
    page.save_screenshot("two_factor_setup")

    page.fill('[data-testid="id_token"]', code_from_secret(secret))
    page.click("text=Включить")
    assert page.locator('[data-testid="backup-codes"] li').count() == 10
    page.save_screenshot("two_factor_backup_codes")

    page.goto(f"{page.base_url}/account/2fa/")
    page.check("#id_require_2fa_for_managers")
    page.click("text=Сохранить")
    assert "обязателен" in page.locator('[role="alert"]').inner_text()

    page.click("nav button:has-text('Выйти')")
    page.login("dina")
    assert "/account/2fa/verify/" in page.url
    assert page.locator("h1").inner_text() == "Введите код"
    page.goto(f"{page.base_url}/reports/funnel/")
    assert "/account/2fa/verify/" in page.url  # nothing opens before the code
    page.fill('[data-testid="id_token"]', "000000" if code_from_secret(secret, steps_ahead=1) != "000000" else "111111")
    page.click("text=Подтвердить")
    assert "Неверный код" in page.locator('[data-testid="code-error"]').inner_text()
    page.save_screenshot("two_factor_code_step")

    # django-otp's back-off after one wrong code is a second: move the clock (the live server's too)
    with time_machine.travel(time.time() + 3, tick=True):
        page.fill('[data-testid="id_token"]', code_from_secret(secret, steps_ahead=1))
        page.click("text=Подтвердить")
        page.wait_for_load_state()
    assert page.url.endswith("/reports/funnel/")
    assert not csp_errors, csp_errors
