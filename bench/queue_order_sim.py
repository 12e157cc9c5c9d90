"""Queue order simulation (issue 10 §2): which order calls more leads within 15 and 20 working minutes?

    .venv/bin/python bench/queue_order_sim.py [--days 60] [--seed 10] [--qualifiers 2 3 4]

Pure Python, no database. Replays working days of arrivals against N qualifiers twice, with the same
leads, the same call outcomes and the same handle times (common random numbers), once under the old
queue order and once under the new one, and prints the share of leads first called within 15 and
within 20 working minutes per day: min / median / max over the simulated days, normal and overload
days apart. The new order is `qualification.queue_order.queue_sort_key`, the very function the tests
hold equal to the selectors' ORDER BY; the old one is the selector's order before issue 10.

The model (each knob is a constant below):
- Time runs in working minutes of a 09:00–21:00 Moscow day; the queue carries over to the next day.
  Leads that arrive while closed are received at the next opening (their clock starts then).
- Arrivals: Poisson, with an hourly profile (morning burst after 10:00, lunch dip 13–14, evening burst
  after 19:00, night inquiries waiting at 09:00). Overload days (an ad campaign, a TV spot) have
  1.3 times the traffic and twice that in the evening 18–21; their share is --overload (0.3).
  A normal day brings ~100 leads, an overload day ~170; --load scales every rate (a stress test).
- A call is answered with probability 0.6. Handle time (dial, talk, notes) is lognormal: median
  6 min when answered, 1.5 min when not. An answered client asks for a callback later in 20 % of
  calls (in 1–4 working hours). An unanswered lead goes back to the pool when the claim lease runs
  out (30–45 min later) and is retried, up to 3 attempts; these retries and callbacks are the
  follow-ups whose first-call SLA is already settled.
- A free qualifier takes the first available item by the order under test. A callback or a retry is
  available from its time on (nobody calls a client before the promised time).
"""

import argparse
import heapq
import math
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualification.queue_order import queue_sort_key  # noqa: E402  (the app's rule)

DAY = 12 * 60  # working minutes, 09:00–21:00
WARN, BREACH = 15, 20  # the team's SLA policy, working minutes
# leads per hour by half hour, 09:00 … 20:30 (a normal day), and the night's inquiries waiting at 09:00
NORMAL_RATE = [4, 5, 15, 7, 9, 9, 8, 8, 4, 4, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 16, 8, 9, 8]
NIGHT_LEADS = 10
OVERLOAD_FACTOR, OVERLOAD_EVENING, EVENING_FROM = 1.3, 2.0, 18
P_ANSWER, P_CALLBACK = 0.6, 0.2
TALK_MEDIAN, NO_ANSWER_MEDIAN, SIGMA = 6.0, 1.5, 0.5
CALLBACK_DELAY = (60, 240)
LEASE = (30, 45)
MAX_ATTEMPTS = 3


@dataclass
class Lead:
    """One work item with the Lead fields the order reads (times in working minutes)."""

    pk: int
    received_at: float
    day: int
    overload: bool
    sla_breach_at: float = 0.0
    sla_state: str = "pending"
    first_call_at: float | None = None
    callback_at: float | None = None
    last_activity_at: float | None = None
    # the lead's fate, drawn once so both orders see the same leads
    answers: list = field(default_factory=list)
    handle: list = field(default_factory=list)
    asks_callback: list = field(default_factory=list)
    callback_delay: list = field(default_factory=list)
    lease: list = field(default_factory=list)
    calls: int = 0
    failed: int = 0
    follow_up_waits: list = field(default_factory=list)

    def __post_init__(self):
        self.sla_breach_at = self.received_at + BREACH


def old_sort_key(lead, now):
    """The order before issue 10: a due callback, then everything by its SLA deadline, callbacks later last.

    A lead whose first call was made yesterday keeps yesterday's deadline: it sorts ahead of every
    fresh lead, and late leads ahead of the ones that could still be saved."""
    bucket = 1 if lead.callback_at is None else 0 if lead.callback_at <= now else 2
    due = next(t for t in (lead.callback_at, lead.sla_breach_at, lead.received_at) if t is not None)
    return (bucket, due, lead.received_at, lead.pk)


ORDERS = {"old": old_sort_key, "new": queue_sort_key}


def make_days(*, days, seed, overload_share, load=1.0):
    """The leads of `days` working days with their fates; day 0 is normal."""
    rng = random.Random(seed)
    leads = []
    for day in range(days):
        overload = day > 0 and rng.random() < overload_share
        start = day * DAY
        arrivals = [start] * _poisson(rng, load * NIGHT_LEADS * (OVERLOAD_FACTOR if overload else 1))
        for half_hour, rate in enumerate(NORMAL_RATE):
            hour = 9 + half_hour // 2
            rate *= load
            if overload:
                rate *= OVERLOAD_FACTOR * (OVERLOAD_EVENING if hour >= EVENING_FROM else 1)
            t = start + half_hour * 30
            end = t + 30
            while True:
                t += rng.expovariate(rate / 60)
                if t >= end:
                    break
                arrivals.append(t)
        for at in sorted(arrivals):
            lead = Lead(pk=len(leads) + 1, received_at=at, day=day, overload=overload)
            for _ in range(MAX_ATTEMPTS + 2):  # first call, retries, a callback and its retry
                answered = rng.random() < P_ANSWER
                lead.answers.append(answered)
                median = TALK_MEDIAN if answered else NO_ANSWER_MEDIAN
                lead.handle.append(median * math.exp(rng.gauss(0, SIGMA)))
                lead.asks_callback.append(rng.random() < P_CALLBACK)
                lead.callback_delay.append(rng.uniform(*CALLBACK_DELAY))
                lead.lease.append(rng.uniform(*LEASE))
            leads.append(lead)
    return leads


def _poisson(rng, mean):
    count, limit, product = 0, math.exp(-mean), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def simulate(leads, *, qualifiers, order):
    """Run the queue; returns {pk: minutes from receipt to the first call} and each lead's follow-up waits."""
    key = ORDERS[order]
    leads = [_fresh_copy(lead) for lead in leads]
    events = [(lead.received_at, 0, lead.pk) for lead in leads]  # (time, kind 0 = enters the pool, pk)
    heapq.heapify(events)
    by_pk = {lead.pk: lead for lead in leads}
    pool, free, waited_since = {}, qualifiers, {}
    first_call = {}
    while events:
        now, kind, pk = heapq.heappop(events)
        if kind == 0:
            pool[pk] = by_pk[pk]
            waited_since[pk] = now
        else:
            free += 1
        while free and pool:
            lead = min(pool.values(), key=lambda item: key(item, now))
            del pool[lead.pk]
            free -= 1
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
    copy = Lead(pk=lead.pk, received_at=lead.received_at, day=lead.day, overload=lead.overload)
    copy.answers, copy.handle, copy.asks_callback = lead.answers, lead.handle, lead.asks_callback
    copy.callback_delay, copy.lease = lead.callback_delay, lead.lease
    return copy


def per_day_shares(leads, first_call, limit):
    by_day = {}
    for lead in leads:
        by_day.setdefault(lead.day, []).append(first_call[lead.pk] <= limit)
    return {day: sum(hits) / len(hits) for day, hits in by_day.items()}


def _spread(values):
    return f"{min(values):5.1%} {statistics.median(values):5.1%} {max(values):5.1%}"


def _quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--overload", type=float, default=0.3, help="share of overload days")
    parser.add_argument("--load", type=float, default=1.0, help="arrivals × this (a stress test)")
    parser.add_argument("--qualifiers", type=int, nargs="+", default=[2, 3, 4])
    args = parser.parse_args(argv)

    leads = make_days(days=args.days, seed=args.seed, overload_share=args.overload, load=args.load)
    day_kind = {lead.day: lead.overload for lead in leads}
    counts = {kind: sum(1 for d, o in day_kind.items() if o == kind) for kind in (False, True)}
    per_kind = {kind: [lead for lead in leads if lead.overload == kind] for kind in (False, True)}
    print(
        f"{args.days} days (seed {args.seed}): {counts[False]} normal, {counts[True]} overload; "
        f"leads per day: normal median {_median_per_day(per_kind[False])}, "
        f"overload median {_median_per_day(per_kind[True])}"
    )
    print("share of leads first called within 15 / 20 working minutes, per day: min median max")
    header = f"{'N':>2} {'days':<9} {'order':<5} {'≤15 min: min med max':<22} {'≤20 min: min med max':<22}"
    print(header + " first call p50/p90 min  follow-up wait p50/p90 min")
    worse = []
    for n in args.qualifiers:
        runs = {order: simulate(leads, qualifiers=n, order=order) for order in ORDERS}
        for kind in (False, True):
            if not counts[kind]:
                continue
            shares = {}
            for order, (first_call, done_leads) in runs.items():
                these = [lead for lead in done_leads if lead.overload == kind]
                s15 = per_day_shares(these, first_call, WARN)
                s20 = per_day_shares(these, first_call, BREACH)
                shares[order] = (s15, s20)
                times = [first_call[lead.pk] for lead in these]
                waits = [w for lead in these for w in lead.follow_up_waits]
                print(
                    f"{n:>2} {'overload' if kind else 'normal':<9} {order:<5} "
                    f"{_spread(list(s15.values())):<22} {_spread(list(s20.values())):<22} "
                    f"{statistics.median(times):6.1f} / {_quantile(times, 0.9):6.1f}"
                    f"      {statistics.median(waits) if waits else 0:6.1f} / {_quantile(waits, 0.9):6.1f}"
                )
            for i, limit in enumerate((WARN, BREACH)):
                old, new = shares["old"][i], shares["new"][i]
                gaps = [old[d] - new[d] for d in old if new[d] < old[d] - 1e-9]
                if gaps:
                    worse.append((n, "overload" if kind else "normal", limit, len(gaps), len(old), max(gaps)))
    print()
    if worse:
        for n, kind, limit, bad, total, gap in worse:
            print(
                f"new order WORSE than old on {bad} of {total} {kind} days (N={n}, within {limit} min; "
                f"by at most {gap:.1%} of that day's leads)"
            )
    else:
        print("new order never worse than the old on any simulated day (paired by day, within 15 and 20 min)")
    return 0


def _median_per_day(leads):
    per_day = {}
    for lead in leads:
        per_day[lead.day] = per_day.get(lead.day, 0) + 1
    return int(statistics.median(per_day.values())) if per_day else 0


if __name__ == "__main__":
    sys.exit(main())
