"""Redis is killed (SIGKILL, no persistence) and restarted under a connected worker that holds ETA messages.

A real worker subprocess with its embedded beat (`-B`, the sweep every 2 s) on the private redis-server
holds the warning and breach checks of N leads as ETA messages (acks_late: unacknowledged, in the worker's
memory and in Redis's unacked hash). Redis dies and comes back empty on the same port. Without anyone
restarting the worker, every warning and breach still fires exactly once and the worker process is
still alive: it keeps the checks it could not give back to a Redis that was down, reconnects by
itself, puts them back into the new Redis and runs every one (its beat's sweep may be first: a second
run changes nothing).

Before the fix (kombu 5.7.0 + our settings) the worker died here with `Unrecoverable error:
AttributeError("'NoneType' object has no attribute 'hostname'")` while it restored its unacknowledged
messages, and its beat died with it: see docs/sla.md, "Redis restarts".
"""

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import SLA_ENGINE, EngineHeartbeat, Lead, Notification, SlaState
from leadflow.services import lead_receive
from qualification.sla import sla_checks_schedule
from tests.factories import make_user, qualification_team, source

from .worker_harness import BROKER_DB, marks, wait_for

LEADS = 20
WARN_IN = 8  # seconds after publishing: Redis is killed and back before the first deadline
BREACH_IN = 12


def _redis(server):
    return redis.Redis(host="127.0.0.1", port=server.port, db=BROKER_DB, socket_timeout=2)


def _checks_run(stall_dir):
    """Task ids of the sla_check messages the worker ran (worker_app marks prerun-<pid>-<task id>)."""
    return {name.split("-", 2)[2] for name in marks(stall_dir, "prerun")}


def _told(kind, username):
    """({lead id: notifications of `kind` about it to `username`}, how many leads its digests stand for:
    the first number of a digest's text, «… (20): #1 …» / "Call now: 20 leads …")."""
    notifications = list(Notification.objects.filter(kind=kind, recipient__username=username))
    singles = Counter(n.lead_id for n in notifications if n.lead_id is not None)
    digested = sum(int(re.search(r"\d+", n.text).group()) for n in notifications if n.lead_id is None)
    return singles, digested


def _held_by_worker(server):
    try:
        return _redis(server).hlen("unacked")
    except redis.RedisError:
        return -1


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_killed_and_restarted_under_a_worker_holding_eta_checks_every_check_fires_once(
    redis_server, celery_broker, workers, stall_dir
):
    team = qualification_team(sla_warn_minutes=15, sla_breach_minutes=20)
    team.working_hours.all().delete()  # 24/7
    team.lead = make_user(roles.QUALIFICATION_LEAD, username="tl")
    team.save()
    make_user(roles.QUALIFIER, username="anna")
    leads = [lead_receive(source=source("website"), phone=f"+7912{i:07d}").lead for i in range(LEADS)]  # eager

    worker = workers(args=["-B", f"--schedule={stall_dir / 'beat-schedule'}"], env={"SLA_SWEEP_SECONDS": "2"})
    celery_broker(redis_server.url(BROKER_DB))
    now = timezone.now()
    warn_at, breach_at = now + timedelta(seconds=WARN_IN), now + timedelta(seconds=BREACH_IN)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(sla_warn_at=warn_at, sla_breach_at=breach_at)
    for lead in leads:
        assert sla_checks_schedule(lead_id=lead.pk, warn_at=warn_at, breach_at=breach_at) == 2
    wait_for(lambda: _held_by_worker(redis_server) == 2 * LEADS, 10, "the worker to hold every ETA check", worker)
    assert not Lead.objects.exclude(sla_state=SlaState.PENDING).exists()

    started = time.monotonic()
    redis_server.kill()
    time.sleep(1)  # the worker's connection is reset; it retries against a closed port
    redis_server.start()  # empty: the ETA checks now live only in the worker's memory
    restarted = timezone.now()
    assert time.monotonic() - started < WARN_IN - 2, "Redis came back after the first deadline: a slow machine?"

    def all_breached():
        return Lead.objects.filter(sla_state=SlaState.BREACHED).count() == LEADS

    wait_for(all_breached, BREACH_IN + 30, "every lead to be breached", worker)
    # the beat inside the worker is alive too: its sweep keeps recording the heartbeat /healthz watches
    wait_for(
        lambda: (EngineHeartbeat.objects.get(name=SLA_ENGINE).beat_at or restarted) > restarted,
        10,
        "a sweep after the restart",
        worker,
    )
    output = worker.output(tail=10**7)
    # it lost the connection with 40 checks in hand, kept them (Redis was down), reconnected by itself
    # and put them back into the new Redis: every check it held ran (the sweep may have been first)
    assert "Unrecoverable error" not in output
    assert f"{2 * LEADS} unacknowledged message(s) kept to restore after the reconnect" in output
    assert f"Restored {2 * LEADS} unacknowledged message(s)" in output
    assert output.count("Connected to") == 2
    wait_for(lambda: len(_checks_run(stall_dir)) == 2 * LEADS, 10, "every held check to run", worker)
    assert worker.alive(), worker.output()
    # each person was told of each lead once: one notification per lead, or, when the sweep reached many
    # at once, a digest standing for them (notifications_send_many: more than DIGEST_AFTER of one kind)
    for kind, people in ((Notification.Kind.SLA_WARNING, ["anna", "tl"]), (Notification.Kind.SLA_BREACH, ["tl"])):
        told = Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
        assert sorted(set(told)) == people
        for username in people:
            singles, digested = _told(kind, username)
            assert set(singles.values()) <= {1}, (kind, username, singles)
            assert set(singles) <= {lead.pk for lead in leads}
            assert sum(singles.values()) + digested == LEADS, (kind, username, singles, digested)
    for lead in leads:
        events = sorted(e for e in StateLog.objects.for_(lead).values_list("transition", flat=True) if "sla" in e)
        assert events == ["sla_breach", "sla_warning"]
    print(
        f"\nRedis restarted under the worker: {LEADS} leads warned and breached once, "
        f"{time.monotonic() - started:.1f} s"
    )
