"""GET /healthz: 200 when the database and the broker answer, 503 naming what is down."""

from unittest import mock

import pytest

pytestmark = pytest.mark.django_db


def test_all_up_is_200_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_broker_down_is_503_naming_the_broker(client):
    with mock.patch("leadflow.views._check_broker", return_value=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "checks": {"database": "ok", "broker": "down"}, "down": ["broker"]}


def test_unreachable_broker_connection_is_reported_down(client):
    """The real check, with a connection that cannot be made (not a mocked result)."""
    with mock.patch("kombu.Connection.ensure_connection", side_effect=ConnectionRefusedError("no broker")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def test_database_down_is_503_naming_the_database(client):
    with mock.patch("leadflow.views.connection.cursor", side_effect=Exception("db gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
