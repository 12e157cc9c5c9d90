"""The queue-order simulation (bench/queue_order_sim.py) models the app's rule and the old one faithfully."""

from bench import queue_order_sim as sim
from qualification.queue_order import QueueBucket, queue_bucket


def _settled_yesterday_and_fresh():
    now = 2 * sim.DAY + 60  # 10:00 on the third day
    yesterday = sim.Lead(pk=1, received_at=sim.DAY + 30, day=1, overload=False)
    yesterday.first_call_at, yesterday.sla_state = sim.DAY + 33, "met"
    yesterday.last_activity_at = now - 5  # back in the pool after its claim lease
    fresh = [sim.Lead(pk=2 + i, received_at=now - i, day=2, overload=False) for i in range(7)]
    return now, yesterday, fresh


def test_the_old_order_of_the_simulation_reproduces_the_issue_and_the_new_one_does_not():
    now, yesterday, fresh = _settled_yesterday_and_fresh()
    pool = [*fresh, yesterday]
    assert min(pool, key=lambda lead: sim.old_sort_key(lead, now)) is yesterday
    assert min(pool, key=lambda lead: sim.ORDERS["new"](lead, now)) is fresh[-1]
    assert queue_bucket(yesterday, now) == QueueBucket.FOLLOW_UP


def test_both_orders_replay_the_same_leads_and_call_each_of_them(capsys):
    leads = sim.make_days(days=3, seed=1, overload_share=0.5)
    for order in sim.ORDERS:
        first_call, done = sim.simulate(leads, qualifiers=2, order=order)
        assert set(first_call) == {lead.pk for lead in leads}
        assert all(minutes >= 0 for minutes in first_call.values())
    assert sim.main(["--days", "3", "--qualifiers", "2"]) == 0
    assert "≤15 min" in capsys.readouterr().out
