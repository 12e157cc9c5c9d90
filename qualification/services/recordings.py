"""Call recordings as evidence: fetched from the PBX by a Celery task, kept in Django's storage (the
store of the measurement photos: var/media by default, S3 with FILE_STORAGE=s3), deleted after
RECORDING_RETENTION_DAYS or at the person's request. The file is served only by
qualification.views.recordings, to whoever may see the lead (leadflow.access.may_hear_calls)."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from leadflow.telephony import PbxError, adapter_for

from ..exceptions import RecordingNotReady
from ..models import CallAttempt, CallRecording

log = logging.getLogger("qualification.recordings")

# what a PBX gives (Mango: MP3; Zadarma: MP3; some WAV or OGG), told by the file's first bytes
SIGNATURES = (
    (b"ID3", "audio/mpeg", ".mp3"),
    (b"\xff\xfb", "audio/mpeg", ".mp3"),
    (b"\xff\xf3", "audio/mpeg", ".mp3"),
    (b"\xff\xf2", "audio/mpeg", ".mp3"),
    (b"RIFF", "audio/wav", ".wav"),
    (b"OggS", "audio/ogg", ".ogg"),
)
RETENTION_BATCH_SIZE = 500
CATCH_UP_DAYS = 2  # a PBX keeps its recordings far longer; a fetch still failing after two days is logged
CATCH_UP_BATCH = 500


def audio_type(data):
    """(content type, file extension) of the audio bytes; unknown bytes are kept as what they are."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return "application/octet-stream", ".bin"


def _publish_fetch(attempt_id):
    """Never raises: the event is saved; a broker that is down leaves the fetch to the catch-up."""
    from ..tasks import call_recording_fetch

    try:
        call_recording_fetch.apply_async(args=(attempt_id,), retry=False)
    except Exception:
        log.warning("recording of attempt %s not queued; the catch-up will fetch it", attempt_id, exc_info=True)


def recording_fetch_schedule(attempt_id):
    """Fetch the recording of this attempt once the caller's transaction commits."""
    transaction.on_commit(partial(_publish_fetch, attempt_id))


def call_recordings_catch_up(*, now=None):
    """Queue the fetch of every recent call whose recording is known but not kept (a lost message, a
    broker that was down, a task that gave up). Bounded to CATCH_UP_DAYS; returns how many were queued."""
    since = (now or timezone.now()) - timedelta(days=CATCH_UP_DAYS)
    missing = list(
        CallAttempt.objects.filter(called_at__gte=since, pbx_call__isnull=False, recording__isnull=True)
        .exclude(recording_ref="")
        .values_list("pk", flat=True)[:CATCH_UP_BATCH]
    )
    for attempt_id in missing:
        _publish_fetch(attempt_id)
    return len(missing)


def call_recording_fetch(*, attempt_id):
    """Fetch and keep the recording of one call attempt; safe to run twice (a kept recording is not
    fetched again). Raises RecordingNotReady when worth retrying; a refusal (4xx) is logged, not retried."""
    attempt = CallAttempt.objects.select_related("pbx_call__account").filter(pk=attempt_id).first()
    if attempt is None or not attempt.recording_ref:
        return None
    kept = CallRecording.objects.filter(attempt_id=attempt_id).first()
    if kept is not None:
        return kept
    call = getattr(attempt, "pbx_call", None)
    if call is None:
        return None  # the generic webhook names a recording it cannot hand us
    try:
        data = adapter_for(call.account).fetch_recording(recording_ref=attempt.recording_ref)
    except PbxError as exc:
        if exc.retryable:
            raise RecordingNotReady(exc.message) from exc
        log.warning("recording of attempt %s refused by the PBX: %s", attempt_id, exc.message)
        return None
    if not data:
        raise RecordingNotReady("empty recording")
    content_type, extension = audio_type(data)
    with transaction.atomic():
        CallAttempt.objects.select_for_update().filter(pk=attempt_id).first()  # one keeper at a time
        kept = CallRecording.objects.filter(attempt_id=attempt_id).first()
        if kept is not None:
            return kept
        recording = CallRecording(
            attempt=attempt,
            content_type=content_type,
            size_bytes=len(data),
            duration_seconds=call.talk_seconds if call.talk_seconds is not None else attempt.duration_seconds,
        )
        recording.file.save(f"call{extension}", ContentFile(data), save=False)
        stored = (recording.file.storage, recording.file.name)
        try:
            recording.save()
        except Exception:
            stored[0].delete(stored[1])
            raise
    log.info("recording of attempt %s kept: %s bytes %s", attempt_id, len(data), content_type)
    return recording


def _files_remove(recordings, *, reason, at):
    """Mark the rows removed now, delete their files once that is committed (a rolled-back run keeps both)."""
    rows = list(recordings.filter(removed_at__isnull=True).only("pk", "file"))
    if not rows:
        return 0
    files = [(row.file.storage, row.file.name) for row in rows if row.file]
    CallRecording.objects.filter(pk__in=[row.pk for row in rows]).update(removed_at=at, removed_reason=reason, file="")

    def delete_files():
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return len(rows)


def call_recordings_expire(*, now=None, batch_size=RETENTION_BATCH_SIZE):
    """Delete the files of recordings kept longer than RECORDING_RETENTION_DAYS; the attempt keeps a
    note that its recording was deleted after the retention period. Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RECORDING_RETENTION_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            batch = CallRecording.objects.filter(
                pk__in=list(
                    CallRecording.objects.filter(removed_at__isnull=True, fetched_at__lt=cutoff)
                    .order_by("fetched_at")
                    .values_list("pk", flat=True)[:batch_size]
                )
            )
            removed = _files_remove(batch, reason=CallRecording.Removed.RETENTION, at=now)
        total += removed
        if removed < batch_size:
            break
    if total:
        log.info("recordings: %s deleted after %s days", total, settings.RECORDING_RETENTION_DAYS)
    return total


def call_recordings_erase(lead_ids):
    """A person's erasure (leadflow.privacy): their calls' recordings go with the rest of their data."""
    return _files_remove(
        CallRecording.objects.filter(attempt__lead_id__in=lead_ids),
        reason=CallRecording.Removed.ERASED,
        at=timezone.now(),
    )
