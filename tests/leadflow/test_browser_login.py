import pytest

from leadflow import roles
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qualifier_logs_in_and_sees_navigation_for_the_role(page):
    make_user(roles.QUALIFIER, username="anna")
    page.login("anna")
    nav = page.locator("nav.navbar").inner_text()
    assert "Deal board" in nav or "Доска сделок" in nav or "Queue" in nav or "Очередь" in nav
    assert page.url.endswith("/queue/")


def test_wrong_password_is_refused(page):
    make_user(roles.QUALIFIER, username="boris")
    page.login("boris", password="nope")
    assert "/login/" in page.url
    assert page.locator(".alert-danger").count() == 1
