"""The sweep after an outage: a backlog of overdue leads is caught up in batches, every step exactly once,
the per-lead history kept, one notification per person listing many leads, and a query count that does
not grow with the backlog. Time moves with time-machine."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Notification, SlaState
from qualification import sla
from tests.factories import make_user, qualification_team, queue_lead
from tests.qualification.conftest import RECEIVED
from tests.qualification.test_sla import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


def backlog(receive, n, *, minutes_before=30):
    """`n` leads received `minutes_before` RECEIVED, nobody called: all past their breach deadline at at(0)."""
    return [receive(RECEIVED - timedelta(minutes=minutes_before, seconds=i)) for i in range(n)]


def events(lead_ids, event):
    return StateLog.objects.filter(object_id__in=lead_ids, transition=event).count()


def test_a_backlog_is_warned_and_breached_once_with_the_history_of_every_lead(receive, people):
    leads = backlog(receive, 12)
    ids = [lead.pk for lead in leads]
    with time_machine.travel(at(0), tick=False):
        assert sla.sla_sweep() == {"due": 12, "warned": 12, "breached": 12, "failed": 0}
        assert sla.sla_sweep() == {"due": 0, "warned": 0, "breached": 0, "failed": 0}
    with time_machine.travel(at(5), tick=False):
        assert sla.sla_sweep()["due"] == 0
    assert set(Lead.objects.filter(pk__in=ids).values_list("sla_state", flat=True)) == {SlaState.BREACHED}
    assert set(Lead.objects.filter(pk__in=ids).values_list("sla_breached_at", flat=True)) == {at(0)}
    assert events(ids, "sla_warning") == events(ids, "sla_breach") == 12
    for lead in leads:  # on each card: the warning, then the breach, at the sweep's time
        rows = list(StateLog.objects.for_(lead).order_by("-timestamp", "-pk").values_list("transition", "timestamp"))
        assert rows[:2] == [("sla_breach", at(0)), ("sla_warning", at(0))]


def test_a_backlog_sends_each_person_one_notification_listing_the_leads(
    receive, people, django_capture_on_commit_callbacks
):
    leads = backlog(receive, 8)
    with time_machine.travel(at(0), tick=False), django_capture_on_commit_callbacks(execute=True):
        sla.sla_sweep()
    breach = Notification.objects.get(kind=Notification.Kind.SLA_BREACH)  # one, not eight
    assert breach.recipient == people["team_lead"]
    assert breach.text.startswith("SLA breached on 8 leads: ")
    for lead in leads:
        assert f"#{lead.pk} {lead.phone}" in breach.text
    assert breach.url == "/queue/sla/"
    warnings = Notification.objects.filter(kind=Notification.Kind.SLA_WARNING)
    assert sorted(warnings.values_list("recipient__username", flat=True)) == ["anna", "boris", "tl"]
    assert all(n.text.startswith("Call now: 8 leads are about to breach the SLA: ") for n in warnings)
    assert [message.to for message in mail.outbox] == [[people["team_lead"].email]]  # one e-mail, not eight
    assert "SLA breached on 8 leads" in mail.outbox[0].subject


def test_a_few_leads_are_still_notified_one_by_one(receive, people, django_capture_on_commit_callbacks):
    leads = backlog(receive, 3)
    with time_machine.travel(at(0), tick=False), django_capture_on_commit_callbacks(execute=True):
        sla.sla_sweep()
    breaches = Notification.objects.filter(kind=Notification.Kind.SLA_BREACH).order_by("lead_id")
    assert [n.lead_id for n in breaches] == [lead.pk for lead in leads]
    assert (
        breaches[0].text
        == f"SLA breached: lead #{leads[0].pk} {leads[0].phone} was not called within 20 working minutes."
    )
    assert len(mail.outbox) == 3


def test_a_long_list_is_cut_to_fit_with_the_count_of_the_rest(receive, people):
    backlog(receive, 40)
    with time_machine.travel(at(0), tick=False):
        sla.sla_sweep()
    text = Notification.objects.get(kind=Notification.Kind.SLA_BREACH).text
    assert len(text) <= 500
    assert text.startswith("SLA breached on 40 leads: #")
    assert text.rsplit(" …and ", 1)[1].endswith(" more")
    shown = text.split(": ", 1)[1].split(" …and ")[0].count("#")
    assert int(text.rsplit(" …and ", 1)[1].split()[0]) == 40 - shown


def _sweep_queries(receive, team, sizes):
    """Queries of a sweep over backlogs of `sizes` leads (reassignment on: the longest path of a breach)."""
    team.reassign_on_breach = True
    team.save()
    counts = []
    for step, n in enumerate((1, *sizes)):  # the first warms the cached content type of the history rows
        backlog(receive, n, minutes_before=30 - 60 * step)
        with time_machine.travel(at(60 * step), tick=False), CaptureQueriesContext(connection) as ctx:
            assert sla.sla_sweep()["breached"] == n
        counts.append(len(ctx.captured_queries))
    assert Lead.objects.filter(status=LeadStatus.QUALIFYING, qualifier__isnull=False).count() == 1 + sum(sizes)
    assert events(Lead.objects.values_list("pk", flat=True), "claim") == 1 + sum(sizes)
    return counts[1:]


def test_the_sweeps_queries_do_not_grow_with_the_backlog(receive, people, team):
    few, many = _sweep_queries(receive, team, (2, 30))
    # one query fewer once every person's notifications are digests: no dedupe keys to look up. (SQLite
    # splits an INSERT of more than 999 values, so the backlog here stays under that; PostgreSQL below.)
    assert many in (few, few - 1)
    assert few <= 16


@pytest.mark.postgres
def test_the_sweeps_queries_do_not_grow_with_the_backlog_on_postgres(receive, people, team):
    few, many, more = _sweep_queries(receive, team, (2, 40, 400))
    assert many == more in (few, few - 1)


def test_breach_reassignment_in_a_batch_spreads_the_leads(receive, people, team):
    team.reassign_on_breach = True
    team.save()
    leads = backlog(receive, 6)
    with time_machine.travel(at(0), tick=False):
        sla.sla_sweep()
    holders = list(
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("qualifier__username", flat=True)
    )
    assert sorted(holders) == ["anna"] * 3 + ["boris"] * 3  # fewest held first, then longest since assigned
    claims = StateLog.objects.filter(object_id__in=[lead.pk for lead in leads], transition="claim")
    assert claims.count() == 6
    assert {(row.by_id, row.source_state, row.state) for row in claims} == {(None, "new", "qualifying")}
    assert {row.description.split(" to ")[0] for row in claims} == {"Reassigned on SLA breach"}


def test_a_lead_called_just_before_the_sweep_is_left_alone(receive, people):
    leads = backlog(receive, 7)
    from qualification import services as q

    q.lead_claim(lead_id=leads[0].pk, actor=people["anna"])
    with time_machine.travel(at(-1), tick=False):
        q.call_attempt_log(lead_id=leads[0].pk, actor=people["anna"], outcome="no_answer", check_holder=False)
    with time_machine.travel(at(0), tick=False):
        totals = sla.sla_sweep()
    assert totals["breached"] == 6
    assert events([leads[0].pk], "sla_breach") == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_postgres_take_every_step_exactly_once(transactional_db):
    """Two workers' sweeps (beat fired twice, a worker restarted) over the same backlog at once."""
    sla_team = qualification_team(sla_warn_minutes=15, sla_breach_minutes=20)
    sla_team.lead = make_user(roles.QUALIFICATION_LEAD, username="tl")
    sla_team.save()
    make_user(roles.QUALIFIER, username="anna")
    ids = [queue_lead(minutes_ago=40 + i, qualification_team=sla_team).pk for i in range(60)]
    barrier = threading.Barrier(3)
    results, errors = [], []

    def sweep(chunk):
        try:
            barrier.wait(timeout=10)
            results.append(sla.sla_sweep(chunk=chunk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(chunk,)) for chunk in (1000, 7, 25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(r["breached"] for r in results) == 60
    assert sum(r["warned"] for r in results) == 60
    assert events(ids, "sla_warning") == events(ids, "sla_breach") == 60
    assert set(Lead.objects.filter(pk__in=ids).values_list("sla_state", flat=True)) == {SlaState.BREACHED}
    listed = " ".join(Notification.objects.filter(kind=Notification.Kind.SLA_BREACH).values_list("text", flat=True))
    single = Notification.objects.filter(kind=Notification.Kind.SLA_BREACH, lead__isnull=False)
    assert single.values("lead").distinct().count() == single.count()  # no lead notified twice one by one
    for lead_id in ids:  # each breach reaches the team lead once: alone, or listed in one digest
        assert listed.count(f"#{lead_id} ") <= 1
