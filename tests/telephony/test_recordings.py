"""Recordings as evidence (issue 16 §3): the PBX's recording event makes a Celery task fetch the audio
through the adapter into Django's storage; retried while the PBX answers 5xx, never fetched twice;
deleted after RECORDING_RETENTION_DAYS and on a person's erasure."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client

from leadflow.models import Lead
from leadflow.privacy.services import personal_data_erase
from leadflow.telephony import http
from qualification.models import CallAttempt, CallRecording
from qualification.services.recordings import call_recordings_expire
from qualification.tasks import call_recording_fetch
from tests.fake_pbx import RECORDING, mango_form, mango_outbound_call, zadarma_outbound_call

from .conftest import CLIENT, RECEIVED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch):
    monkeypatch.setattr(http, "RETRY_PAUSE_SECONDS", 0)  # the adapter's own quick retries, without sleeping


def mango_call(account, capture, *, entry_id="E1"):
    start = RECEIVED + timedelta(minutes=3)
    with capture(execute=True):
        for kind, payload in mango_outbound_call(entry_id=entry_id, extension="101", client=CLIENT, start=start):
            response = Client().post(f"/api/v1/pbx/mango/{account.pk}/events/{kind}", mango_form(payload))
            assert response.status_code == 200
    return CallAttempt.objects.get(external_event_id=f"pbx:{account.pk}:{entry_id}")


def downloads(fake_pbx):
    return [command for command in fake_pbx.commands if command[1] == "recording"]


def test_mango_recording_event_fetches_and_stores_the_audio(fake_pbx, mango, lead, django_capture_on_commit_callbacks):
    attempt = mango_call(mango, django_capture_on_commit_callbacks)
    recording = CallRecording.objects.get(attempt=attempt)
    assert recording.file.name.startswith("recordings/") and recording.file.name.endswith(".mp3")
    with default_storage.open(recording.file.name, "rb") as stored:
        assert stored.read() == RECORDING
    assert (recording.content_type, recording.size_bytes, recording.duration_seconds) == (
        "audio/mpeg",
        len(RECORDING),
        60,
    )
    assert recording.playable and len(downloads(fake_pbx)) == 1

    call_recording_fetch.delay(attempt.pk)  # a redelivered task: the kept recording is not fetched again
    assert len(downloads(fake_pbx)) == 1
    assert CallRecording.objects.count() == 1


def test_zadarma_recording_fetched_through_its_link(fake_pbx, zadarma, lead, django_capture_on_commit_callbacks):
    start = RECEIVED + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        for form, headers in zadarma_outbound_call(pbx_call_id="Z1", extension="101", client=CLIENT, start=start):
            assert Client().post(f"/api/v1/pbx/zadarma/{zadarma.pk}/", form, **headers).status_code == 200
    recording = CallRecording.objects.get()
    assert recording.attempt.recording_ref == "Z1-rec"
    with default_storage.open(recording.file.name, "rb") as stored:
        assert stored.read() == RECORDING


@pytest.fixture
def retries_run_inline():
    """As on a worker: a failed run is retried (eagerly, countdown skipped) instead of raising to the caller."""
    from leadflow.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_a_5xx_is_retried_by_the_task_then_kept(
    fake_pbx, mango, lead, retries_run_inline, django_capture_on_commit_callbacks
):
    # the adapter retries a read 3 times itself; the 4th 503 fails the task's run, Celery retries it
    fake_pbx.recording_failures = http.READ_RETRIES + 1
    attempt = mango_call(mango, django_capture_on_commit_callbacks)
    assert len(downloads(fake_pbx)) == http.READ_RETRIES + 2  # four 503s, then the audio
    assert CallRecording.objects.get(attempt=attempt).size_bytes == len(RECORDING)


def test_a_pbx_that_keeps_failing_leaves_no_half_recording(
    fake_pbx, mango, lead, retries_run_inline, django_capture_on_commit_callbacks
):
    fake_pbx.recording_failures = 10_000
    mango_call(mango, django_capture_on_commit_callbacks)  # the task gives up after max_retries
    assert not CallRecording.objects.exists()
    assert len(downloads(fake_pbx)) == (call_recording_fetch.max_retries + 1) * (http.READ_RETRIES + 1)


def test_retention_deletes_old_files_and_the_call_keeps_a_note(
    fake_pbx, mango, anna, lead, settings, django_capture_on_commit_callbacks
):
    settings.RECORDING_RETENTION_DAYS = 30
    attempt = mango_call(mango, django_capture_on_commit_callbacks)
    name = CallRecording.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert call_recordings_expire() == 0  # today's recording stays
    assert default_storage.exists(name)
    with (
        time_machine.travel(RECEIVED + timedelta(days=31), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert call_recordings_expire() == 1
    assert not default_storage.exists(name)
    recording = CallRecording.objects.get(attempt=attempt)
    assert (recording.playable, recording.removed_reason) == (False, "retention")
    client = Client()
    client.force_login(anna)
    card = client.get(f"/queue/{lead.pk}/").content.decode()
    assert "запись удалена по сроку хранения" in card
    assert "<audio" not in card
    assert client.get(f"/queue/recordings/{recording.pk}/").status_code == 404


def test_erasure_deletes_the_persons_recordings(fake_pbx, mango, lead, django_capture_on_commit_callbacks):
    from leadflow import roles
    from leadflow.models import LeadStatus
    from tests.factories import make_user

    attempt = mango_call(mango, django_capture_on_commit_callbacks)
    name = CallRecording.objects.get().file.name
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.DISQUALIFIED)
    director = make_user(roles.DIRECTOR, username="director")
    with django_capture_on_commit_callbacks(execute=True):
        assert personal_data_erase(phone=CLIENT, actor=director) == 1
    assert not default_storage.exists(name)
    recording = CallRecording.objects.get(attempt=attempt)
    assert (recording.playable, recording.removed_reason, recording.file.name) == (False, "erased", "")


def test_a_lost_fetch_is_caught_up_and_a_broker_outage_does_not_fail_the_event(
    fake_pbx, mango, lead, monkeypatch, django_capture_on_commit_callbacks
):
    from qualification.services import recordings

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(call_recording_fetch, "apply_async", broker_down)
    attempt = mango_call(mango, django_capture_on_commit_callbacks)  # every event still answered 200
    assert not CallRecording.objects.exists()
    monkeypatch.undo()
    monkeypatch.setattr(http, "RETRY_PAUSE_SECONDS", 0)
    assert recordings.call_recordings_catch_up() == 1
    assert CallRecording.objects.get().attempt == attempt
    assert recordings.call_recordings_catch_up() == 0  # kept: nothing left to fetch
