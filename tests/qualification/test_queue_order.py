"""Issue 10 §2: the queue order that saves fresh leads (docs/sla.md, "Queue order").

1 a promised callback due now; 2 awaiting the first call, deadline still ahead (earliest deadline first);
3 awaiting the first call, deadline passed (oldest first); 4 first-call SLA settled (by due time).
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from leadflow import access, roles
from leadflow.models import RUNNING_SLA_STATES, Lead, LeadStatus, SlaState
from qualification import queue_order, selectors
from qualification import services as q
from qualification.queue_order import QueueBucket, queue_bucket, queue_due, queue_sort_key
from tests.factories import make_user, queue_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


def _ids(qs):
    return [lead.pk for lead in qs]


def _met_yesterday_and_released(*, qualifier, qlead):
    """A lead called yesterday (SLA met, the client did not answer) and put back into the pool."""
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        lead = queue_lead(minutes_ago=3)
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="no_answer")
        q.lead_release(lead_id=lead.pk, actor=qlead)
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.qualifier_id, lead.sla_state) == (LeadStatus.NEW, None, "met")
    return lead


def test_next_lead_gives_a_fresh_lead_before_yesterdays_released_one(qualifier, qlead):
    """The issue's reproduction: yesterday's lead (SLA met, back in the pool) + seven fresh leads whose
    clocks run. "Next lead" must give a fresh one, the one whose deadline comes first."""
    yesterdays = _met_yesterday_and_released(qualifier=qualifier, qlead=qlead)
    fresh = [queue_lead(minutes_ago=minutes) for minutes in (1, 2, 3, 4, 5, 6, 7)]
    colleague = make_user(roles.QUALIFIER, username="olga")

    assert q.lead_claim_next(actor=colleague).pk == fresh[-1].pk  # received 7 min ago: earliest deadline
    taken = [q.lead_claim_next(actor=colleague).pk for _ in range(6)]
    assert taken == [lead.pk for lead in reversed(fresh[:-1])]
    assert q.lead_claim_next(actor=colleague).pk == yesterdays.pk  # only once the fresh ones are taken


NOW = timezone.make_aware(timezone.datetime(2026, 11, 30, 12, 0))  # a Monday noon; the test team works 24/7
MIN, DAY = timedelta(minutes=1), timedelta(days=1)


def _bucket_of(lead, *, user):
    return {row.pk: row.queue_bucket for row in selectors.queue_for_user(user=user)}[lead.pk]


@pytest.mark.parametrize(
    ("fields", "bucket"),
    [
        # a callback due now is bucket 1 whatever the SLA state; one second later it is not due yet
        ({"callback_at": NOW, "first_call_at": NOW - timedelta(hours=1), "sla_state": "met"}, 1),
        ({"callback_at": NOW, "sla_state": "breached", "sla_breach_at": NOW - timedelta(hours=1)}, 1),
        ({"callback_at": NOW + timedelta(seconds=1), "first_call_at": NOW - timedelta(hours=1), "sla_state": "met"}, 4),
        # awaiting the first call: in time while the deadline is ahead, late from the deadline on
        ({"sla_state": "pending", "sla_breach_at": NOW + timedelta(seconds=1)}, 2),
        ({"sla_state": "warned", "sla_breach_at": NOW + timedelta(seconds=1)}, 2),
        ({"sla_state": "warned", "sla_breach_at": NOW}, 3),  # the breach check has not fired yet
        ({"sla_state": "pending", "sla_breach_at": NOW - timedelta(minutes=1)}, 3),
        ({"sla_state": "breached", "sla_breach_at": NOW - timedelta(minutes=1)}, 3),
        # settled first-call SLA: follow-up, whatever the deadline said
        ({"sla_state": "met", "first_call_at": NOW - MIN * 5, "sla_breach_at": NOW + MIN * 5}, 4),
        ({"sla_state": "met_late", "first_call_at": NOW - DAY, "sla_breach_at": NOW - DAY}, 4),
    ],
)
def test_bucket_boundaries(qualifier, fields, bucket):
    with time_machine.travel(NOW, tick=False):
        lead = queue_lead(minutes_ago=30, **fields)
        assert _bucket_of(lead, user=qualifier) == bucket
        assert queue_sort_key(lead, NOW)[0] == bucket


def test_a_lead_crosses_from_in_time_to_late_at_its_deadline(qualifier):
    with time_machine.travel(NOW, tick=False):
        lead = queue_lead(minutes_ago=10)  # deadline at +10 min
    with time_machine.travel(lead.sla_breach_at - timedelta(microseconds=1), tick=False):
        assert _bucket_of(lead, user=qualifier) == QueueBucket.IN_TIME
    with time_machine.travel(lead.sla_breach_at, tick=False):
        assert _bucket_of(lead, user=qualifier) == QueueBucket.LATE


def test_late_leads_oldest_first_after_every_lead_in_time(qualifier):
    with time_machine.travel(NOW, tick=False):
        late_newer = queue_lead(minutes_ago=25, sla_state="breached")
        late_oldest = queue_lead(minutes_ago=90, sla_state="breached")
        late_unchecked = queue_lead(minutes_ago=40)  # past its deadline, the breach check not run yet
        in_time_later = queue_lead(minutes_ago=1)
        in_time_sooner = queue_lead(minutes_ago=19, sla_state="warned")
        order = _ids(selectors.queue_for_user(user=qualifier))
    assert order == [in_time_sooner.pk, in_time_later.pk, late_oldest.pk, late_unchecked.pk, late_newer.pk]


def test_follow_ups_by_due_time_after_the_first_calls(qualifier, qlead):
    """Settled leads: a retry back in the pool is due since its last activity, a callback promised for
    later at its time; both wait behind any lead still awaiting its first call, late ones included."""
    with time_machine.travel(NOW - timedelta(hours=3), tick=False):
        retry = queue_lead(minutes_ago=5)
        q.lead_claim(lead_id=retry.pk, actor=qualifier)
        q.call_attempt_log(lead_id=retry.pk, actor=qualifier, outcome="no_answer")
        q.lead_release(lead_id=retry.pk, actor=qlead)
    with time_machine.travel(NOW, tick=False):
        promised = queue_lead(minutes_ago=50)
        q.lead_claim(lead_id=promised.pk, actor=qualifier)
        q.call_attempt_log(
            lead_id=promised.pk, actor=qualifier, outcome="callback", callback_at=NOW + timedelta(minutes=30)
        )
        late = queue_lead(minutes_ago=300, sla_state="breached")
        fresh = queue_lead(minutes_ago=2)
        assert _ids(selectors.queue_for_user(user=qualifier)) == [fresh.pk, late.pk, retry.pk, promised.pk]
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        assert _ids(selectors.queue_for_user(user=qualifier))[0] == promised.pk  # due now: bucket 1


def _mixed_pool(*, qualifier, qlead):
    """Every bucket, ties included, in the team's pool (unclaimed, status new)."""
    leads = []
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        for outcome in ("no_answer", "callback"):
            lead = queue_lead(minutes_ago=3)
            q.lead_claim(lead_id=lead.pk, actor=qualifier)
            q.call_attempt_log(
                lead_id=lead.pk, actor=qualifier, outcome=outcome, callback_at=NOW - timedelta(minutes=30)
            )
            q.lead_release(lead_id=lead.pk, actor=qlead)  # a callback due in the pool
            leads.append(lead)
    with time_machine.travel(NOW, tick=False):
        shared_deadline = NOW + timedelta(minutes=7)
        for minutes in (1, 4, 13, 13, 19, 20, 21, 45, 45, 600):
            leads.append(queue_lead(minutes_ago=minutes))
        leads.append(queue_lead(minutes_ago=2, sla_breach_at=shared_deadline))
        leads.append(queue_lead(minutes_ago=6, sla_breach_at=shared_deadline))
        leads.append(queue_lead(minutes_ago=30, sla_state="breached"))
        leads.append(queue_lead(minutes_ago=8, callback_at=NOW - timedelta(minutes=1)))
        leads.append(queue_lead(minutes_ago=70, first_call_at=NOW - MIN * 60, sla_state="met", last_activity_at=None))
        leads.append(queue_lead(minutes_ago=3, sla_breach_at=None))
    return leads


def test_the_sql_order_and_the_python_rule_agree(qualifier, qlead):
    """The selector's ORDER BY and queue_order.queue_sort_key (the one the simulation runs) agree,
    at several moments as deadlines pass and callbacks fall due."""
    _mixed_pool(qualifier=qualifier, qlead=qlead)
    team_id = access.team_id_of(qualifier)
    for offset in (0, 1, 6, 7, 15, 40, 24 * 60):
        now = NOW + timedelta(minutes=offset)
        with time_machine.travel(now, tick=False):
            in_db = list(selectors.claimable_leads(team_id=team_id))
            in_python = sorted(Lead.objects.filter(pk__in=[r.pk for r in in_db]), key=lambda r: queue_sort_key(r, now))
            assert [r.pk for r in in_db] == [r.pk for r in in_python], offset
            assert [r.queue_bucket for r in in_db] == [queue_bucket(r, now) for r in in_python]
            assert [r.due_at for r in in_db] == [queue_due(r, queue_bucket(r, now)) for r in in_python]
    assert {queue_bucket(r, NOW) for r in in_python} == set(QueueBucket)


def test_next_lead_follows_the_queue_order(qualifier, qlead):
    _mixed_pool(qualifier=qualifier, qlead=qlead)
    # one qualifier per press: a due callback taken from the pool stays its taker's "next" until called
    takers = [make_user(roles.QUALIFIER, username=f"taker{i}") for i in range(19)]
    with time_machine.travel(NOW, tick=False):
        expected = _ids(selectors.queue_for_user(user=takers[0]))
        got = [q.lead_claim_next(actor=taker) for taker in takers]
    assert got[-1] is None
    assert [lead.pk for lead in got[:-1]] == expected
    assert len(expected) == 18


def _cell(row_html, testid):
    return re.search(rf'<span[^>]*data-testid="{testid}"[^>]*>[^<]*</span>', row_html)[0]


def test_every_queue_row_shows_its_bucket_to_qualifier_and_team_lead(client, qualifier, qlead):
    with time_machine.travel(NOW, tick=False):
        fresh = queue_lead(minutes_ago=2)
        late = queue_lead(minutes_ago=40, sla_state="breached")
        for user in (qualifier, qlead):
            client.force_login(user)
            response = client.get(reverse("qualification:index"))
            rows = {
                int(re.search(r'data-lead-id="(\d+)"', row)[1]): row for row in response.context["table"].page_rows()
            }
            assert rows[fresh.pk].count('data-bucket="2"') == 1
            assert "In time" in _cell(rows[fresh.pk], "queue-bucket")
            assert "Late" in _cell(rows[late.pk], "queue-bucket")
            assert 'data-testid="queue-order-rule"' in response.content.decode()


def test_badges_read_russian_on_a_russian_page(client, qualifier):
    with time_machine.travel(NOW, tick=False):
        queue_lead(minutes_ago=2)
        queue_lead(minutes_ago=40, sla_state="breached")
        client.force_login(qualifier)
        html = client.get(reverse("qualification:index"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Успеваем" in html and "Опоздали" in html and "Приоритет" in html


def test_the_rule_names_the_same_running_states_as_the_sla_engine():
    assert set(queue_order.RUNNING) == set(RUNNING_SLA_STATES)
    assert set(queue_order.AWAITING_FIRST_CALL) == {*RUNNING_SLA_STATES, SlaState.BREACHED}


@pytest.mark.postgres
def test_the_compiled_pick_of_next_lead_follows_the_clock(qualifier):
    """ "Next lead" runs its pick from a statement compiled once per process: at every moment it must pick
    what the queue order picks then, not what it picked when the statement was compiled."""
    from django.db import transaction

    team_id = access.team_id_of(qualifier)
    with time_machine.travel(NOW, tick=False):
        soon_late = queue_lead(minutes_ago=19)  # in time for one more minute, then late
        fresh = queue_lead(minutes_ago=2)
    picks = []
    for offset in (0, 2, 24 * 60):
        with time_machine.travel(NOW + timedelta(minutes=offset), tick=False), transaction.atomic():
            expected = selectors.claimable_leads(team_id=team_id).first()
            assert selectors.next_lead_locked(user=qualifier, team_id=team_id).pk == expected.pk, offset
            picks.append(expected.pk)
    # earliest deadline first while both are in time; the savable one once the other is late; then oldest
    assert picks == [soon_late.pk, fresh.pk, soon_late.pk]
