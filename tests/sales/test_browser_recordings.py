"""Arbitration settled by listening (issue 16 §3): the arbiter opens the dispute and the hand-off call's
recording is the first player, labelled, and plays from the access-checked stream."""

import io
import math
import struct
import wave

import pytest
import time_machine
from django.core.files.base import ContentFile

from leadflow.models import Lead
from qualification.models import CallAttempt, CallRecording
from tests.sales.conftest import NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wav(seconds, hz=440, rate=8000):
    """A real telephone-quality WAV (8 kHz mono), so the browser decodes its length."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(8000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", frame) for frame in frames))
    return buffer.getvalue()


def recorded(lead, actor, *, minutes_before_handoff, seconds):
    from datetime import timedelta

    attempt = CallAttempt.objects.create(
        lead=lead,
        actor=actor,
        outcome=CallAttempt.Outcome.REACHED,
        called_at=lead.handed_off_at - timedelta(minutes=minutes_before_handoff),
        duration_seconds=seconds,
        channel=CallAttempt.Channel.PBX,
        recording_ref=f"rec-{minutes_before_handoff}",
    )
    audio = wav(seconds)
    recording = CallRecording(
        attempt=attempt, content_type="audio/wav", size_bytes=len(audio), duration_seconds=seconds
    )
    recording.file.save("call.wav", ContentFile(audio), save=False)
    recording.save()
    return recording


def test_arbiter_hears_the_handoff_call_first(page, people, deals):
    with time_machine.travel(NOW, tick=True):
        dispute = deals.disputed(name="Марина Кухонная", address="Москва, ул. Профсоюзная, 3")
        lead = Lead.objects.get(pk=dispute.lead_id)
        recorded(lead, people["qualifier"], minutes_before_handoff=90, seconds=2)  # an earlier call of the same lead
        handoff = recorded(lead, people["qualifier"], minutes_before_handoff=4, seconds=3)
        page.login("manager")
        page.goto(f"{page.base_url}/board/arbitration/")
        card = page.locator(f'[data-testid=dispute][data-dispute="{dispute.pk}"]')
        first = card.locator("[data-testid=recordings] > div").first
        assert first.get_attribute("data-testid") == "handoff-recording"
        assert "Звонок перед передачей в продажи" in first.inner_text()
        player = first.locator("audio")
        assert player.get_attribute("src") == f"/queue/recordings/{handoff.pk}/"
        assert player.get_attribute("preload") == "none"
        duration = player.evaluate(
            """audio => new Promise((resolve, reject) => {
                audio.addEventListener('loadedmetadata', () => resolve(audio.duration), {once: true});
                audio.addEventListener('error', () => reject(audio.error && audio.error.code), {once: true});
                audio.load();
            })"""
        )
        assert duration == pytest.approx(3, abs=0.1)
        assert card.locator("audio").count() == 2
        page.save_screenshot("arbitration_recordings")
