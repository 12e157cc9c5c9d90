"""The discrete-event queue simulator: N qualifiers (or a roster that changes during the day) calling
the leads of a pool in the app's queue order. Pure Python, no database, no Django settings.

Used by the queue-order benchmark (bench/queue_order_sim.py: old order vs new, synthetic days) and by
the staffing planner (reports/staffing: the team's real arrivals replayed against its roster), so both
answer with the same model and the same order (`queue_order.queue_sort_key`).

Time runs in working minutes: a lead that arrives while the team is closed enters the pool at the
next opening, and its deadlines count working time only. Each lead carries its fate, drawn once by
the caller (answered or not per attempt, handle times, a callback asked, the claim lease), so two runs
over the same leads differ only in what is compared (the order, or the number on shift).
- A free qualifier takes the first available lead by the order; a call holds them for its handle time.
- An unanswered lead goes back to the pool when the claim lease runs out and is retried, up to
  MAX_ATTEMPTS; an answered client asks for a callback later with the drawn probability. These are
  the follow-ups whose first-call SLA is settled; they take qualifiers' time like any call.
- With a roster, a qualifier whose shift ends finishes the call in hand and takes no more.
"""

import heapq
import math
from dataclasses import dataclass, field

from .queue_order import queue_sort_key

BREACH = 20  # the default SLA breach, working minutes (the team's policy)
P_ANSWER, P_CALLBACK = 0.6, 0.2
TALK_MEDIAN, NO_ANSWER_MEDIAN, SIGMA = 6.0, 1.5, 0.5
CALLBACK_DELAY = (60, 240)
LEASE = (30, 45)
MAX_ATTEMPTS = 3
ATTEMPTS_DRAWN = MAX_ATTEMPTS + 2  # first call, retries, a callback and its retry


@dataclass
class Lead:
    """One work item with the Lead fields the order reads (times in working minutes)."""

    pk: int
    received_at: float
    day: int
    overload: bool = False
    sla_breach_at: float | None = None
    sla_state: str = "pending"
    first_call_at: float | None = None
    callback_at: float | None = None
    last_activity_at: float | None = None
    # the lead's fate, drawn once so every run sees the same leads
    answers: list = field(default_factory=list)
    handle: list = field(default_factory=list)
    asks_callback: list = field(default_factory=list)
    callback_delay: list = field(default_factory=list)
    lease: list = field(default_factory=list)
    calls: int = 0
    failed: int = 0
    follow_up_waits: list = field(default_factory=list)
    breach: float = BREACH

    def __post_init__(self):
        if self.sla_breach_at is None:
            self.sla_breach_at = self.received_at + self.breach


def draw_fate(lead, rng, *, p_answer=P_ANSWER, p_callback=P_CALLBACK, handle=None):
    """Draw the lead's fate for every attempt. `handle(rng, answered)` gives a handle time in minutes
    (default: lognormal, median TALK_MEDIAN answered, NO_ANSWER_MEDIAN not)."""
    for _ in range(ATTEMPTS_DRAWN):
        answered = rng.random() < p_answer
        lead.answers.append(answered)
        if handle is None:
            median = TALK_MEDIAN if answered else NO_ANSWER_MEDIAN
            lead.handle.append(median * math.exp(rng.gauss(0, SIGMA)))
        else:
            lead.handle.append(handle(rng, answered))
        lead.asks_callback.append(rng.random() < p_callback)
        lead.callback_delay.append(rng.uniform(*CALLBACK_DELAY))
        lead.lease.append(rng.uniform(*LEASE))
    return lead


def simulate(leads, *, qualifiers, key=queue_sort_key):
    """Run the queue; returns ({pk: minutes from receipt to the first call}, the leads as run).

    `qualifiers`: how many are on shift, an int for the whole run or the roster as sorted steps
    [(from working minute, how many), …] (before the first step nobody is on shift). Leads never
    called (nobody on shift until the end) have no entry."""
    steps = [(0.0, qualifiers)] if isinstance(qualifiers, int) else list(qualifiers)
    leads = [_fresh_copy(lead) for lead in leads]
    # (time, kind, pk): kind 0 = enters the pool, 1 = a call ends, 2 = the roster changes (pk: how many)
    events = [(lead.received_at, 0, lead.pk) for lead in leads]
    events += [(at, 2, n) for at, n in steps]
    heapq.heapify(events)
    by_pk = {lead.pk: lead for lead in leads}
    # the pool as a heap of (key when last looked at, pk): a lead's key only grows while it waits (in time →
    # late; a callback or a retry enters when it is due), so the top whose key is still the same is the
    # minimum of the order over the whole pool, as if every key were recomputed now
    pool, on_shift, busy, waited_since = [], 0, 0, {}
    first_call = {}
    while events:
        now, kind, pk = heapq.heappop(events)
        if kind == 0:
            heapq.heappush(pool, (key(by_pk[pk], now), pk))
            waited_since[pk] = now
        elif kind == 1:
            busy -= 1
        else:
            on_shift = pk
        while busy < on_shift and pool:
            stored, pk = pool[0]
            fresh = key(by_pk[pk], now)
            if fresh != stored:
                heapq.heapreplace(pool, (fresh, pk))
                continue
            heapq.heappop(pool)
            lead = by_pk[pk]
            busy += 1
            done = _call(lead, now, first_call, waited_since.pop(lead.pk))
            heapq.heappush(events, (done, 1, 0))
            back = lead.callback_at if lead.callback_at is not None else lead.last_activity_at
            if back is not None:
                heapq.heappush(events, (back, 0, lead.pk))
    return first_call, leads


def _call(lead, now, first_call, waiting_since):
    """One call attempt from `now`; sets the lead's fields as call_attempt_log and the lease would."""
    if lead.first_call_at is None:
        lead.first_call_at = now
        lead.sla_state = "met" if now <= lead.sla_breach_at else "met_late"
        first_call[lead.pk] = now - lead.received_at
    else:
        lead.follow_up_waits.append(now - waiting_since)
    i = min(lead.calls, len(lead.answers) - 1)
    lead.calls += 1
    was_callback = lead.callback_at is not None
    done = now + lead.handle[i]
    lead.callback_at = None
    lead.last_activity_at = None
    if lead.answers[i]:
        if lead.asks_callback[i] and not was_callback:
            lead.callback_at = done + lead.callback_delay[i]  # promised: due at that time
    else:
        lead.failed += 1
        if lead.failed < MAX_ATTEMPTS:
            lead.last_activity_at = done + lead.lease[i]  # back in the pool when the claim lease runs out
    return done


def _fresh_copy(lead):
    copy = Lead(
        pk=lead.pk,
        received_at=lead.received_at,
        day=lead.day,
        overload=lead.overload,
        sla_breach_at=lead.sla_breach_at,
        breach=lead.breach,
    )
    copy.answers, copy.handle, copy.asks_callback = lead.answers, lead.handle, lead.asks_callback
    copy.callback_delay, copy.lease = lead.callback_delay, lead.lease
    return copy
