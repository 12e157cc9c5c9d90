"""The demo's roster, and a queue behind the demo's first calls, so that the staffing planner's
backtest (reports.staffing) checks against a history a real roster could have made.

At the default volume (QUEUE_LEADS leads over the 91 days) the first call of every lead is the moment
a qualifier on shift took it: the demo's arrivals replayed on the queue simulator
(qualification.queue_sim) with the roster below; a small or a huge run (the tests' 300 leads, the
benches' million, far beyond what four people can call) keeps the drawn response times instead.
"""

import random
from datetime import datetime, time

from leadflow.models import Shift
from qualification import queue_sim
from reports.staffing.model import ShiftSpec, WorkLine

QUEUE_LEADS = range(1_000, 20_001)
SEED = 1717
# (qualifier, weekdays, from, to): thin evenings on weekdays and a thin Sunday, where the planner
# shows the promise breaking
ROSTER = [
    ("qualifier1", range(0, 5), time(9), time(15)),
    ("qualifier2", range(0, 5), time(12), time(18)),
    ("qualifier3", range(0, 5), time(15), time(21)),
    ("qualifier4", (5, 6), time(9), time(21)),
    ("qualifier1", (5,), time(11), time(17)),
]


def ensure_roster(company):
    """The demo shifts, once (a lead who already edited the roster keeps it)."""
    team = company.qualification_team
    if Shift.objects.filter(team=team).exists():
        return
    Shift.objects.bulk_create(
        Shift(team=team, user=company.users[username], weekday=weekday, starts_at=starts, ends_at=ends)
        for username, weekdays, starts, ends in ROSTER
        for weekday in weekdays
    )


def roster_specs():
    return [
        ShiftSpec(weekday=weekday, start=starts.hour * 60 + starts.minute, end=ends.hour * 60 + ends.minute)
        for _username, weekdays, starts, ends in ROSTER
        for weekday in weekdays
    ]


def _handler(path):
    """Claim → end of the first call, minutes, as the lead's story will log it (demo/leads.py
    `_attempts`): a short dial, then no answer, a short callback request, or the talk of its path."""

    def handle(rng, _answered):
        lag = rng.uniform(15, 90) / 60
        if path == "dq_unreachable":
            return lag
        if path == "dq_spam":
            return lag + rng.uniform(10, 40) / 60
        talk = (40, 200) if path in ("dq_duplicate", "dq_modular") else (90, 720)
        chance = rng.random()
        if chance < 0.72:
            return lag + rng.uniform(*talk) / 60
        if chance < 0.87:
            return lag
        return lag + rng.uniform(20, 60) / 60

    return handle


def queued_first_calls(received, paths, *, calendar, now):
    """{index: (claimed, first call)} in epoch seconds for the leads a queue with the roster called,
    or {} when the run's size is not the default volume (see QUEUE_LEADS)."""
    if len(received) not in QUEUE_LEADS:
        return {}
    tz = calendar.tz
    first_day = datetime.fromtimestamp(received[0], tz).date()
    days = (datetime.fromtimestamp(now, tz).date() - first_day).days + 2
    line = WorkLine(calendar, first_day, days)
    rng = random.Random(SEED)
    leads = []
    for index, ts in enumerate(received):
        position = line.position(datetime.fromtimestamp(ts, tz))
        if position is None:
            continue
        lead = queue_sim.Lead(pk=index + 1, received_at=position, day=0)
        queue_sim.draw_fate(lead, rng, p_answer=0.7, p_callback=0.15, handle=_handler(paths[index]))
        leads.append(lead)
    first_call, _leads = queue_sim.simulate(leads, qualifiers=line.roster_steps(roster_specs()))
    result = {}
    for lead in leads:
        wait = first_call.get(lead.pk)
        if wait is None:
            continue
        called = int(line.local_time(lead.received_at + wait).timestamp())
        index = lead.pk - 1
        called = max(called, received[index])
        claimed = max(received[index], called - rng.randint(15, 90))
        result[index] = (claimed, called)
    return result
