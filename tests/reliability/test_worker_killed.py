"""A real Celery worker (a subprocess on a private redis-server and the test PostgreSQL database) is
SIGKILLed while it processes an SLA check: no check is lost and no notification is sent twice.

A. The pool child dies after the check committed but before the message was acknowledged (acks_late):
   the parent sees the lost child and requeues the message (reject_on_worker_lost), a new child runs
   the check again, and the second run changes nothing (state guard + Notification dedupe keys).
B. The whole worker dies while the check waits on the lead's row lock, mid-transaction: nothing is
   committed; the next SLA sweep runs the check; when the worker is restarted and Redis hands the
   unacknowledged message out again, that late run changes nothing.
"""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import Lead, Notification, SlaState
from leadflow.services import lead_receive
from qualification import sla
from qualification.tasks import sla_check
from tests.factories import make_user, qualification_team, source

from .worker_harness import APP_NAME, BROKER_DB, marks, wait_for


@pytest.fixture
def overdue_lead(celery_broker, redis_server):
    """A lead whose warning and breach deadlines have passed and whose checks nobody ran yet."""
    team = qualification_team(sla_warn_minutes=15, sla_breach_minutes=20)
    team.working_hours.all().delete()
    team.lead = make_user(roles.QUALIFICATION_LEAD, username="tl")
    team.save()
    make_user(roles.QUALIFIER, username="anna")
    lead = lead_receive(source=source("website"), phone="+79123456789").lead  # eager: the checks ran, not due
    past = timezone.now() - timedelta(minutes=30)
    Lead.objects.filter(pk=lead.pk).update(
        received_at=past, sla_warn_at=past + timedelta(minutes=15), sla_breach_at=past + timedelta(minutes=20)
    )
    assert Lead.objects.get(pk=lead.pk).sla_state == SlaState.PENDING
    celery_broker(redis_server.url(BROKER_DB))  # from here on checks are published to the private Redis
    return Lead.objects.get(pk=lead.pk)


def assert_checked_exactly_once(lead):
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.sla_state == SlaState.BREACHED
    warnings = Notification.objects.filter(kind=Notification.Kind.SLA_WARNING, lead=lead)
    assert sorted(warnings.values_list("recipient__username", flat=True)) == ["anna", "tl"]
    breaches = Notification.objects.filter(kind=Notification.Kind.SLA_BREACH, lead=lead)
    assert list(breaches.values_list("recipient__username", flat=True)) == ["tl"]
    events = sorted(e for e in StateLog.objects.for_(lead).values_list("transition", flat=True) if e.startswith("sla"))
    assert events == ["sla_breach", "sla_warning"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_pool_child_killed_after_commit_before_ack_the_check_reruns_without_a_second_notification(
    overdue_lead, workers, stall_dir
):
    started = time.monotonic()
    worker = workers()
    (stall_dir / "stall").touch()
    result = sla_check.apply_async(args=(overdue_lead.pk, "breach"))
    wait_for(lambda: marks(stall_dir, "postrun"), 30, "the check to commit", worker)
    [first] = marks(stall_dir, "postrun")
    child_pid = int(first.split("-")[1])
    assert child_pid != worker.process.pid  # the pool child, not the parent
    assert_checked_exactly_once(overdue_lead)  # committed, the message not acknowledged yet

    os.kill(child_pid, signal.SIGKILL)
    (stall_dir / "stall").unlink()
    # the parent requeues the message of the lost child; a new child runs the same task id again
    wait_for(lambda: len(marks(stall_dir, "postrun")) == 2, 30, "the requeued check to run again", worker)
    second = marks(stall_dir, "postrun")[-1 if marks(stall_dir, "postrun")[0] == first else 0]
    assert second.endswith(result.id) and int(second.split("-")[1]) != child_pid
    assert_checked_exactly_once(overdue_lead)
    assert "WorkerLostError" in worker.output() or "Worker exited prematurely" in worker.output()
    print(f"\npool child killed: rerun by pid {second.split('-')[1]}, {time.monotonic() - started:.1f} s")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_transaction_the_sweep_runs_the_check_and_the_redelivery_changes_nothing(
    overdue_lead, workers, stall_dir
):
    started = time.monotonic()
    worker = workers(visibility_timeout=3)
    holding, release = threading.Event(), threading.Event()

    def hold_row_lock():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT id FROM leadflow_lead WHERE id = %s FOR UPDATE", [overdue_lead.pk])
                holding.set()
                release.wait(30)
                cursor.execute("COMMIT")
        finally:
            connections["default"].close()

    holder = threading.Thread(target=hold_row_lock)
    holder.start()
    try:
        assert holding.wait(10)
        result = sla_check.apply_async(args=(overdue_lead.pk, "breach"))
        wait_for(lambda: marks(stall_dir, "prerun"), 30, "the check to start", worker)
        wait_for(lambda: _waits_on_a_lock(), 10, "the check to wait on the row lock", worker)
        worker.kill()  # mid-transaction: the check holds a transaction, waits on the lock, never commits
    finally:
        release.set()
        holder.join(10)
    assert Lead.objects.get(pk=overdue_lead.pk).sla_state == SlaState.PENDING  # nothing of the check committed
    assert not marks(stall_dir, "postrun")

    # the beat's sweep (every SLA_SWEEP_SECONDS) does not need the message: it runs the check
    assert sla.sla_sweep() == {"due": 1, "warned": 1, "breached": 1, "failed": 0}
    assert_checked_exactly_once(overdue_lead)

    # the restarted worker gets the unacknowledged message back (visibility timeout) and runs it: no-op
    workers(visibility_timeout=3)
    wait_for(lambda: any(m.endswith(result.id) for m in marks(stall_dir, "postrun")), 40, "the redelivery")
    assert_checked_exactly_once(overdue_lead)
    assert sla.sla_sweep()["due"] == 0
    print(f"\nworker killed mid-transaction: swept, redelivered, {time.monotonic() - started:.1f} s")


def _waits_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            [APP_NAME],
        )
        return cursor.fetchone()[0] > 0
