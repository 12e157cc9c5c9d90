"""Erlang C: the share of callers who wait, and the share answered within a target time.

A ~30-line function instead of a PyPI package (docs/decisions.md, "Staffing planner: Erlang C"):
the formula is short, textbook and tested against published tables (tests/reports/test_staffing_erlang.py).
Computed with the stable recurrence of Erlang B (no factorials, no overflow at hundreds of agents).
"""

import math


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of `agents` servers offered `traffic` Erlangs: B(n) = A·B(n-1) / (n + A·B(n-1))."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a lead waits at all (1.0 when the load reaches the agents: the queue grows)."""
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(agents: int, traffic: float, handle_minutes: float, target_minutes: float) -> float:
    """Share of leads whose wait is at most `target_minutes`: 1 − C(N, A)·e^(−(N − A)·t / h)."""
    if agents <= 0:
        return 0.0 if traffic > 0 else 1.0
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * target_minutes / handle_minutes)


def agents_needed(
    *, leads_per_hour: float, handle_minutes: float, target_minutes: float, share: float, limit: int = 500
):
    """The fewest agents whose service level reaches `share` (0 when no leads come)."""
    if leads_per_hour <= 0 or handle_minutes <= 0:
        return 0
    traffic = leads_per_hour * handle_minutes / 60
    agents = max(1, math.floor(traffic))
    while agents < limit and service_level(agents, traffic, handle_minutes, target_minutes) < share:
        agents += 1
    return agents
