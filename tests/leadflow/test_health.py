"""GET /healthz: 200 when the database and the broker answer and the SLA engine swept lately,
503 naming what is down. Silence is never green: a sweep older than SLA_ENGINE_STALE_SECONDS, or none
at all once the grace period after install has passed, is 503 "sla-engine"."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.apps import apps

from leadflow.models import SLA_ENGINE, EngineHeartbeat
from leadflow.reference import ensure_engine_heartbeats
from qualification.tasks import sla_sweep

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def installed():
    """A fresh install at T0: the heartbeat row is watched from then on, no sweep ran yet."""
    EngineHeartbeat.objects.all().delete()
    with time_machine.travel(T0, tick=False):
        ensure_engine_heartbeats(apps.get_model)


@pytest.fixture
def swept(installed):
    """The beat's sweep task ran (through the broker, eager here) at T0 + 30 s."""
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sla_sweep.delay()
    return T0 + timedelta(seconds=30)


def health(client, at):
    with time_machine.travel(at, tick=False):
        response = client.get("/healthz")
    return response.status_code, response.json()


def test_all_up_is_200_json(client, swept):
    with time_machine.travel(swept + timedelta(seconds=60), tick=False):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", SLA_ENGINE: "ok"},
        SLA_ENGINE: {"last_sweep": swept.isoformat(), "stopped_since": None, "stale_after_seconds": 120},
    }
    assert "no-cache" in response["Cache-Control"]


def test_a_sweep_older_than_two_minutes_is_503_naming_the_sla_engine_until_the_next_sweep(client, swept):
    assert health(client, swept + timedelta(seconds=120))[0] == 200
    status, body = health(client, swept + timedelta(seconds=121))
    assert status == 503
    assert body["down"] == [SLA_ENGINE]
    assert body["checks"] == {"database": "ok", "broker": "ok", SLA_ENGINE: "down"}
    assert body[SLA_ENGINE]["stopped_since"] == swept.isoformat()

    later = swept + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        sla_sweep.delay()  # the worker and beat are back
    assert health(client, later + timedelta(seconds=5)) == (
        200,
        {
            "status": "ok",
            "checks": {"database": "ok", "broker": "ok", SLA_ENGINE: "ok"},
            SLA_ENGINE: {"last_sweep": later.isoformat(), "stopped_since": None, "stale_after_seconds": 120},
        },
    )


def test_a_fresh_install_is_green_for_the_grace_period_only_then_503_if_no_sweep_ever_ran(client, installed):
    status, body = health(client, T0 + timedelta(seconds=119))
    assert status == 200
    assert body[SLA_ENGINE] == {"last_sweep": None, "stopped_since": None, "stale_after_seconds": 120}
    status, body = health(client, T0 + timedelta(seconds=121))
    assert status == 503
    assert body["down"] == [SLA_ENGINE]
    assert body[SLA_ENGINE] == {"last_sweep": None, "stopped_since": T0.isoformat(), "stale_after_seconds": 120}


def test_no_heartbeat_row_at_all_is_503(client, installed):
    EngineHeartbeat.objects.all().delete()
    status, body = health(client, T0)
    assert status == 503
    assert body["down"] == [SLA_ENGINE]


def test_the_threshold_is_a_setting(client, swept, settings):
    settings.SLA_ENGINE_STALE_SECONDS = 600
    assert health(client, swept + timedelta(seconds=599))[0] == 200
    assert health(client, swept + timedelta(seconds=601))[0] == 503


def test_a_sweep_that_fails_records_no_heartbeat(swept):
    with (
        time_machine.travel(swept + timedelta(minutes=5), tick=False),
        mock.patch("qualification.sla.sla_sweep", side_effect=RuntimeError("db gone")),
        pytest.raises(RuntimeError),
    ):
        sla_sweep.delay()
    assert EngineHeartbeat.objects.get(name=SLA_ENGINE).beat_at == swept


def test_the_heartbeat_is_one_update(swept, django_assert_num_queries):
    from leadflow.services import engine_heartbeat_record

    with django_assert_num_queries(1):
        engine_heartbeat_record()


def test_broker_down_is_503_naming_the_broker(client, swept):
    with mock.patch("leadflow.views._check_broker", return_value=False):
        status, body = health(client, swept)
    assert status == 503
    assert body["checks"] == {"database": "ok", "broker": "down", SLA_ENGINE: "ok"}
    assert body["down"] == ["broker"]


def test_unreachable_broker_connection_is_reported_down(client, swept):
    """The real check, with a connection that cannot be made (not a mocked result)."""
    with mock.patch("kombu.Connection.ensure_connection", side_effect=ConnectionRefusedError("no broker")):
        status, body = health(client, swept)
    assert status == 503
    assert body["down"] == ["broker"]


def test_database_down_is_503_naming_the_database_and_the_engine_unknown(client, swept):
    with mock.patch("leadflow.views.connection.cursor", side_effect=Exception("db gone")):
        status, body = health(client, swept)
    assert status == 503
    assert body["down"] == ["database"]
    assert body["checks"][SLA_ENGINE] == "unknown"
