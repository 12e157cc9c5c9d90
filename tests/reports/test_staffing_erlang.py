"""Erlang C (reports/staffing/erlang.py) against published values and closed forms."""

import math

import pytest

from reports.staffing import erlang


def test_the_worked_example_of_westbay_engineers():
    """Westbay Engineers, "The Erlang-C formula" (westbay.ndirect.co.uk/erlang.htm), the worked example:
    360 calls per half hour, 4 minutes each, 55 agents, target answer time 15 seconds →
    traffic 48 Erlangs, probability of waiting 0.2387, average speed of answer 8.2 s, service level 84.6 %."""
    traffic = 360 / 30 * 4
    assert traffic == 48
    assert erlang.erlang_c(55, traffic) == pytest.approx(0.2387, abs=5e-5)
    asa_seconds = erlang.erlang_c(55, traffic) * 4 / (55 - traffic) * 60
    assert asa_seconds == pytest.approx(8.2, abs=0.05)
    assert erlang.service_level(55, traffic, 4, 15 / 60) == pytest.approx(0.846, abs=5e-4)


@pytest.mark.parametrize("load", [0.1, 0.5, 0.9])
def test_one_agent_waits_with_the_probability_of_the_load(load):
    """M/M/1: a caller waits exactly when the one agent is busy, with probability ρ; within t the share is
    1 − ρ·e^(−(1−ρ)t/h) (Kleinrock, Queueing Systems I, §3.2)."""
    assert erlang.erlang_c(1, load) == pytest.approx(load)
    assert erlang.service_level(1, load, 6, 15) == pytest.approx(1 - load * math.exp(-(1 - load) * 15 / 6))


def test_closed_forms_for_small_systems():
    # C(2, A) = A² / (2 + A) ; C(3, 2) = 4/9
    assert erlang.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang.erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang.erlang_b(1, 1.0) == pytest.approx(0.5)


def test_an_overloaded_team_never_meets_the_target_and_more_agents_always_help():
    assert erlang.erlang_c(4, 4.0) == 1.0
    assert erlang.service_level(4, 5.0, 6, 15) == 0.0
    levels = [erlang.service_level(n, 10.0, 3, 1 / 3) for n in range(11, 20)]
    assert levels == sorted(levels)


def test_agents_needed_is_the_fewest_that_reach_the_share():
    # the Westbay example needs 55 agents for 84.6 % in 15 s, 54 give less than 80 %
    needed = erlang.agents_needed(leads_per_hour=720, handle_minutes=4, target_minutes=0.25, share=0.8)
    assert erlang.service_level(needed, 48, 4, 0.25) >= 0.8 > erlang.service_level(needed - 1, 48, 4, 0.25)
    assert needed == 55
    assert erlang.agents_needed(leads_per_hour=0, handle_minutes=4, target_minutes=15, share=0.9) == 0
