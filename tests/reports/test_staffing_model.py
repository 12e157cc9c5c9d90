"""The planner's model on hand-built histories whose answers are known (no database)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadflow.workhours import WorkCalendar
from qualification import queue_sim
from reports.staffing.model import History, ShiftSpec, WorkLine, replay, requirements, staffing_plan

MSK = ZoneInfo("Europe/Moscow")
MONDAYS = [date(2025, 9, 1) + timedelta(days=7 * week) for week in range(4)]  # no public holiday
CALENDAR = WorkCalendar(time_zone="Europe/Moscow", windows={0: (time(9), time(10))})  # Mondays 9–10 only


def burst_history(per_burst=6, handle=10.0):
    """Every Monday at 09:00 sharp `per_burst` leads at once, each call `handle` minutes, always answered."""
    arrivals = [datetime.combine(day, time(9), MSK) for day in MONDAYS for _ in range(per_burst)]
    return History.from_moments(
        first_day=MONDAYS[0],
        days=28,
        arrivals=arrivals,
        handle_minutes=[handle],
        answered_share=1.0,
        callback_share=0.0,
        calls_per_lead=1.0,
    )


def plan_for(history, shifts, *, target=0.9, sla=15):
    run = replay(history, CALENDAR, breach_minutes=20)
    needs = requirements(history, run, target=target, sla_minutes=sla)
    return staffing_plan(history, run, shifts, needs=needs, sla_minutes=sla, breach_minutes=20)


def monday(count, start=9, end=10):
    return [ShiftSpec(weekday=0, start=start * 60, end=end * 60)] * count


def test_a_burst_needs_what_the_arithmetic_says_and_more_than_erlang_c():
    """6 leads at 09:00, 10 minutes each, 90 % within 15 minutes: calls start at 0 and 10 only, so 3 on
    shift are the optimum (2 reach 4 of 6 by minute 10); Erlang C, 6 an hour spread evenly, says 2."""
    cell = plan_for(burst_history(), monday(1)).cells[(0, 9)]
    assert (cell.required, cell.erlang, cell.rostered) == (3, 2, 1)
    assert cell.leads_per_week == 6


def test_the_roster_replay_gives_the_shares_a_hand_count_gives():
    """One qualifier: calls at 0, 10, 20, 30, 40, 50 → 2 of 6 within 15, 3 of 6 within 20 (each week)."""
    plan = plan_for(burst_history(), monday(1))
    assert plan.share == 2 / 6 and plan.share_breach == 3 / 6
    assert plan.cells[(0, 9)].missed(0.9)
    fixed = plan_for(burst_history(), monday(3))
    assert fixed.share == 1.0 and not fixed.cells[(0, 9)].missed(0.9)
    two = plan_for(burst_history(), monday(2))
    assert two.share == 4 / 6  # 0, 0, 10, 10 within 15; 20, 20 not


def test_a_lower_promise_or_a_longer_limit_needs_fewer():
    assert plan_for(burst_history(), monday(1), target=0.6).cells[(0, 9)].required == 2
    assert plan_for(burst_history(), monday(1), sla=25).cells[(0, 9)].required == 2
    assert plan_for(burst_history(), monday(1), sla=60).cells[(0, 9)].required == 1


def test_nobody_on_shift_calls_nobody_and_closed_hours_wait_for_the_opening():
    plan = plan_for(burst_history(), [])
    assert plan.share == 0.0 and plan.cells[(0, 9)].rostered == 0
    line = WorkLine(CALENDAR, MONDAYS[0], 14)
    sunday_night = datetime(2025, 9, 7, 23, 0, tzinfo=MSK)
    assert line.position(sunday_night) == 60  # the second Monday's opening, after the first Monday's hour
    assert line.slot(60) == (0, 9)


def test_a_shift_ending_mid_hour_counts_as_the_fewest_on_shift_that_hour():
    plan = plan_for(burst_history(), [ShiftSpec(weekday=0, start=9 * 60, end=9 * 60 + 30), *monday(1)])
    assert plan.cells[(0, 9)].rostered == 1
    steps = WorkLine(CALENDAR, MONDAYS[0], 7).roster_steps([ShiftSpec(0, 9 * 60, 9 * 60 + 30), *monday(1)])
    assert steps == [(0.0, 2), (30.0, 1)]


def test_the_simulator_follows_the_roster_steps():
    leads = [queue_sim.Lead(pk=n, received_at=0.0, day=0) for n in (1, 2)]
    for lead in leads:
        lead.answers, lead.handle = [True] * 5, [10.0] * 5
        lead.asks_callback, lead.callback_delay, lead.lease = [False] * 5, [60] * 5, [30] * 5
    first_call, _ = queue_sim.simulate(leads, qualifiers=[(0.0, 0), (5.0, 2)])
    assert first_call == {1: 5.0, 2: 5.0}  # nobody until minute 5, then both at once
    first_call, _ = queue_sim.simulate(leads, qualifiers=[(0.0, 1), (3.0, 0)])
    assert first_call == {1: 0.0}  # the shift ended with the call in hand: the second lead is never called


def test_the_needs_search_gallops_to_the_same_answer_as_counting_one_by_one(monkeypatch):
    """60 leads at 09:00 sharp, 10 minutes a call, 90 % within 15: calls start at 0 and 10 only, so
    54 / 2 = 27 on shift; Erlang C says far fewer, so the search leaves the one-by-one steps."""
    from reports.staffing import model

    history = burst_history(per_burst=60)
    run = replay(history, CALENDAR, breach_minutes=20)
    needs = requirements(history, run, target=0.9, sla_minutes=15)
    _per_week, estimate, needed = needs[(0, 9)]
    assert estimate + model.LINEAR_STEPS < needed == 27
    monkeypatch.setattr(model, "LINEAR_STEPS", model.MAX_AGENTS)  # one by one all the way
    assert requirements(history, run, target=0.9, sla_minutes=15)[(0, 9)][2] == 27


def test_the_inlined_fates_are_queue_sims_own():
    """model._fate_drawer draws what queue_sim.draw_fate draws with the histogram's handle function."""
    import bisect
    import random

    from reports.staffing import model

    history = History.from_moments(
        first_day=MONDAYS[0],
        days=28,
        arrivals=[],
        handle_minutes=[1.5, 4.0, 4.0, 9.5],
        answered_share=0.55,
        callback_share=0.2,
        calls_per_lead=1.4,
    )
    values, cumulative = [1.5, 4.0, 9.5], [1, 3, 4]
    fast = model._fate_drawer(random.Random(17), history, values, cumulative, 4)
    slow_rng = random.Random(17)
    for pk in range(1, 50):
        mine = fast(queue_sim.Lead(pk=pk, received_at=0, day=0))
        theirs = queue_sim.draw_fate(
            queue_sim.Lead(pk=pk, received_at=0, day=0),
            slow_rng,
            p_answer=0.55,
            p_callback=0.2,
            handle=lambda rng, _answered: values[bisect.bisect_right(cumulative, rng.random() * 4)],
        )
        assert (mine.answers, mine.handle, mine.asks_callback, mine.callback_delay, mine.lease) == (
            theirs.answers,
            theirs.handle,
            theirs.asks_callback,
            theirs.callback_delay,
            theirs.lease,
        )
