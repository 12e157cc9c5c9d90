import pytest
from django.urls import reverse

from leadflow import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_login_is_locked_after_five_failures_even_with_the_right_password(client, settings):
    settings.AXES_ENABLED = True
    make_user(roles.QUALIFIER, username="olga")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "olga", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": "olga", "password": "pass"})
    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_login_after_a_few_failures_works(client, settings):
    settings.AXES_ENABLED = True
    make_user(roles.QUALIFIER, username="pavel")
    for _ in range(3):
        client.post(reverse("login"), {"username": "pavel", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "pavel", "password": "pass"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
