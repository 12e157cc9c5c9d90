"""Celery tasks of the qualification workspace. Each takes ids, re-reads state and is safe to run twice."""

from celery import shared_task

from .exceptions import RecordingNotReady


@shared_task(ignore_result=True)
def claim_lease_sweep():
    """Return leads whose claim lease ran out (no activity) to the pool."""
    from .services import claim_leases_expire

    return claim_leases_expire()


@shared_task(ignore_result=True, acks_late=True)
def sla_check(lead_id, kind):
    """Check one lead at its warning ('warn') or breach ('breach') time."""
    from .sla import sla_check_lead

    return sla_check_lead(lead_id=lead_id, kind=kind)


@shared_task(ignore_result=True)
def sla_sweep():
    """Every minute: run the check of every lead whose deadline passed without it (lost message, dead worker)."""
    from leadflow.services import engine_heartbeat_record

    from .sla import sla_sweep as sweep

    totals = sweep()
    engine_heartbeat_record()  # beat -> broker -> worker -> database all ran: /healthz and the SLA panel watch it
    return totals


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(RecordingNotReady,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def call_recording_fetch(attempt_id):
    """Fetch a call's recording from the PBX into the storage; retried with backoff (30 s … 1 h) while
    the PBX cannot give it; a second run finds it kept and fetches nothing."""
    from .services.recordings import call_recording_fetch as fetch

    fetch(attempt_id=attempt_id)


@shared_task(ignore_result=True)
def call_recordings_expire():
    """Nightly: delete recordings older than RECORDING_RETENTION_DAYS."""
    from .services.recordings import call_recordings_expire as expire

    return expire()


@shared_task(ignore_result=True)
def call_recordings_catch_up():
    """Every 10 minutes: fetch the recordings whose message was lost (broker down, task gave up)."""
    from .services.recordings import call_recordings_catch_up as catch_up

    return catch_up()


@shared_task(ignore_result=True)
def call_review_samples_draw():
    """Every Monday: draw last week's calls to review in every qualification team (idempotent)."""
    from datetime import timedelta

    from django.utils import timezone

    from .services import review_samples_draw_all
    from .services.reviews import week_start

    return review_samples_draw_all(week=week_start(timezone.localdate()) - timedelta(days=7))
