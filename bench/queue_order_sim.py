"""Queue order simulation (issue 10 §2): which order calls more leads within 15 and 20 working minutes?

    .venv/bin/python bench/queue_order_sim.py [--days 60] [--seed 10] [--qualifiers 2 3 4]

Pure Python, no database (the simulator is qualification/queue_sim.py, shared with the staffing
planner). Replays working days of arrivals against N qualifiers twice, with the same
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
import math
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualification import queue_sim  # noqa: E402  (the simulator, shared with the staffing planner)
from qualification.queue_order import queue_sort_key  # noqa: E402  (the app's rule)
from qualification.queue_sim import Lead, draw_fate  # noqa: E402

DAY = 12 * 60  # working minutes, 09:00–21:00
WARN, BREACH = 15, 20  # the team's SLA policy, working minutes
# leads per hour by half hour, 09:00 … 20:30 (a normal day), and the night's inquiries waiting at 09:00
NORMAL_RATE = [4, 5, 15, 7, 9, 9, 8, 8, 4, 4, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 16, 8, 9, 8]
NIGHT_LEADS = 10
OVERLOAD_FACTOR, OVERLOAD_EVENING, EVENING_FROM = 1.3, 2.0, 18


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
            lead = Lead(pk=len(leads) + 1, received_at=at, day=day, overload=overload, breach=BREACH)
            draw_fate(lead, rng)
            leads.append(lead)
    return leads


def _poisson(rng, mean):
    count, limit, product = 0, math.exp(-mean), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def simulate(leads, *, qualifiers, order):
    """Run the queue under the order named `order` (qualification.queue_sim.simulate)."""
    return queue_sim.simulate(leads, qualifiers=qualifiers, key=ORDERS[order])


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
