import pytest
from django.urls import reverse

from leadflow import roles
from leadflow.services import notification_send
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role, target",
    [
        (roles.QUALIFIER, "/queue/"),
        (roles.QUALIFICATION_LEAD, "/queue/"),
        (roles.SALES_REP, "/board/today/"),  # a rep's day starts with today's visits
        (roles.SALES_MANAGER, "/board/"),
        (roles.DIRECTOR, "/reports/"),
    ],
)
def test_home_sends_each_role_to_its_workspace(client, role, target):
    client.force_login(make_user(role))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_role_sees_an_explanation(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "role" in response.content.decode() or "роли" in response.content.decode()


def test_bell_counts_unread_and_list_marks_read(client):
    rep = make_user(roles.SALES_REP)
    for n in range(3):
        notification_send(recipient=rep, kind="info", text=f"Note {n}")
    client.force_login(rep)
    page = client.get(reverse("notifications")).content.decode()
    assert 'data-testid="unread-count">3<' in page
    assert page.count('data-testid="notification"') == 3
    client.post(reverse("notifications-read"))
    page = client.get(reverse("notifications")).content.decode()
    assert 'data-testid="unread-count"' not in page


def test_notifications_are_private(client):
    rep, other = make_user(roles.SALES_REP), make_user(roles.SALES_REP)
    notification_send(recipient=rep, kind="info", text="for rep only")
    client.force_login(other)
    assert "for rep only" not in client.get(reverse("notifications")).content.decode()


def test_dedupe_key_makes_a_notification_idempotent():
    rep = make_user(roles.SALES_REP)
    first = notification_send(recipient=rep, kind="sla_warning", text="x", dedupe_key="lead-1-warn")
    second = notification_send(recipient=rep, kind="sla_warning", text="x", dedupe_key="lead-1-warn")
    assert first.pk == second.pk
    assert rep.notifications.count() == 1
