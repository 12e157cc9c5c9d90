"""The planner's model, pure Python over plain values (no database): the working-minute line of a run
of days, the roster as steps on it, the team's arrivals replayed on the queue simulator.

Time is in working minutes of the team's calendar (`WorkLine`), as in the simulator: a lead received
while the team is closed enters the queue at the next opening, and "within 15 working minutes" is a
distance on the line. A slot is a weekday × hour of the team's time zone (0 = Monday).
"""

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from qualification import queue_sim

from . import erlang

SEED = 17  # the fates are drawn from a fixed seed: the same page twice shows the same numbers
MAX_AGENTS = 200
MAX_WAIT_COUNTED = 240  # wait_counts keeps first-call waits per minute up to this (the form's largest limit)
LINEAR_STEPS = 4  # the needs' search steps one by one this far above the Erlang C estimate, then gallops


@dataclass(frozen=True)
class ShiftSpec:
    """One weekly shift: `weekday` 0 = Monday, minutes of the day [start, end). `pk` None: a what-if shift."""

    weekday: int
    start: int
    end: int
    user_id: int | None = None
    pk: int | None = None

    def covers(self, weekday, minute):
        return self.weekday == weekday and self.start <= minute < self.end


@dataclass(frozen=True)
class History:
    """What the planner learns from a team's past: when leads came, how long a first call holds a
    qualifier, how often a call is answered. Compact whatever the volume (reports/staffing/history.py)."""

    first_day: date
    days: int
    arrivals: list  # [(aware datetime of a minute, leads received in it)], sorted
    handle_minutes: dict  # {minutes: how many leads}: claim → end of the first call
    answered_share: float
    callback_share: float
    calls_per_lead: float

    @classmethod
    def from_moments(cls, *, arrivals, handle_minutes, **rest):
        """From one moment per lead and one handle time per lead (hand-built histories in tests)."""
        counts, handles = {}, {}
        for moment in arrivals:
            minute = moment.replace(second=0, microsecond=0)
            counts[minute] = counts.get(minute, 0) + 1
        for minutes in handle_minutes:
            handles[minutes] = handles.get(minutes, 0) + 1
        return cls(arrivals=sorted(counts.items()), handle_minutes=dict(sorted(handles.items())), **rest)

    @property
    def leads(self):
        return sum(n for _minute, n in self.arrivals)

    @property
    def handle_mean(self):
        n = sum(self.handle_minutes.values())
        return sum(minutes * count for minutes, count in self.handle_minutes.items()) / n if n else 0.0


class WorkLine:
    """The open windows of `days` days from `first_day` laid end to end in working minutes."""

    def __init__(self, calendar, first_day, days):
        self.tz = calendar.tz
        self.windows = []  # (day, opens, closes, offset of opens on the line)
        offset = 0.0
        for n in range(days):
            day = first_day + timedelta(days=n)
            window = calendar.window_on(day)
            if window is None:
                continue
            opens, closes = window
            self.windows.append((day, opens, closes, offset))
            offset += (closes - opens).total_seconds() / 60
        self.total = offset
        self._opens = [window[1] for window in self.windows]
        self._offsets = [window[3] for window in self.windows]

    def position(self, moment):
        """The working minute at which a lead received at `moment` enters the queue; None after the line."""
        i = bisect.bisect_right(self._opens, moment) - 1
        if i >= 0:
            _day, opens, closes, offset = self.windows[i]
            if moment < closes:
                return offset + (moment - opens).total_seconds() / 60
        i += 1  # closed: the next opening
        return self.windows[i][3] if i < len(self.windows) else None

    def window_index(self, position):
        return max(0, bisect.bisect_right(self._offsets, position) - 1)

    def local_time(self, position):
        day, opens, _closes, offset = self.windows[self.window_index(position)]
        return (opens + timedelta(minutes=position - offset)).astimezone(self.tz)

    def slot(self, position):
        local = self.local_time(position)
        return local.weekday(), local.hour

    def roster_steps(self, shifts):
        """[(working minute, how many on shift)], a step wherever a window opens or a shift starts or ends."""
        by_weekday = {}
        for shift in shifts:
            by_weekday.setdefault(shift.weekday, []).append(shift)
        steps = []
        for day, opens, closes, offset in self.windows:
            todays = by_weekday.get(day.weekday(), [])
            local_opens, local_closes = opens.astimezone(self.tz), closes.astimezone(self.tz)
            first, last = _minute_of(local_opens), _minute_of(local_closes, end=True)
            cuts = {first, last}
            for shift in todays:
                cuts.update(m for m in (shift.start, shift.end) if first < m < last)
            cuts = sorted(cuts)
            for a in cuts[:-1]:
                n = sum(1 for shift in todays if shift.start <= a < shift.end)
                steps.append((offset + a - first, n))
        steps.sort()
        return steps

    def open_slots(self):
        """{(weekday, hour): how many times the line holds that hour open (for rates per hour)}."""
        counts = {}
        for _day, opens, closes, _offset in self.windows:
            cursor = opens.astimezone(self.tz)
            end = closes.astimezone(self.tz)
            while cursor < end:
                nxt = min(end, cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
                key = (cursor.weekday(), cursor.hour)
                counts[key] = counts.get(key, 0) + (nxt - cursor).total_seconds() / 3600
                cursor = nxt
        return counts


def _minute_of(moment, end=False):
    minute = moment.hour * 60 + moment.minute
    return 24 * 60 if end and minute == 0 else minute


@dataclass
class Replay:
    """The leads of a history on the line with their fates (drawn once, from SEED)."""

    line: WorkLine
    leads: list
    slot_of: dict  # pk → (weekday, hour) where it entered the queue
    week_of: dict  # pk → index of its day on the line's calendar week (for per-slot groups)
    received_day: dict = field(default_factory=dict)  # pk → local date received


def replay(history, calendar, *, breach_minutes):
    line = WorkLine(calendar, history.first_day, history.days)
    rng = random.Random(SEED)
    handles = history.handle_minutes or {queue_sim.TALK_MEDIAN: 1}
    values, cumulative, total = [], [], 0
    for minutes, count in handles.items():
        total += count
        values.append(minutes)
        cumulative.append(total)

    draw = _fate_drawer(rng, history, values, cumulative, total)
    leads, slot_of, week_of, received_day = [], {}, {}, {}
    for moment, count in history.arrivals:
        position = line.position(moment)
        if position is None or position >= line.total:
            continue
        slot = line.slot(position)
        week = (line.local_time(position).date() - history.first_day).days // 7
        day = moment.astimezone(calendar.tz).date()
        for _n in range(count):
            lead = queue_sim.Lead(pk=len(leads) + 1, received_at=position, day=0, breach=breach_minutes)
            draw(lead)
            leads.append(lead)
            slot_of[lead.pk] = slot
            week_of[lead.pk] = week
            received_day[lead.pk] = day
    return Replay(line=line, leads=leads, slot_of=slot_of, week_of=week_of, received_day=received_day)


def _fate_drawer(rng, history, values, cumulative, total):
    """`queue_sim.draw_fate` with the handle times drawn from the histogram, inlined: the same draws from
    the same generator in the same order (so the same fates; tests/reports/test_staffing_model.py holds
    them equal), a third of the time (a what-if at 1,000,000 leads builds ~14,000 leads per request)."""
    random_, find = rng.random, bisect.bisect_right
    p_answer, p_callback = history.answered_share, history.callback_share
    delay_low, delay_span = queue_sim.CALLBACK_DELAY[0], queue_sim.CALLBACK_DELAY[1] - queue_sim.CALLBACK_DELAY[0]
    lease_low, lease_span = queue_sim.LEASE[0], queue_sim.LEASE[1] - queue_sim.LEASE[0]
    attempts = range(queue_sim.ATTEMPTS_DRAWN)

    def draw(lead):
        answers, handle, asks, delays, lease = (
            lead.answers,
            lead.handle,
            lead.asks_callback,
            lead.callback_delay,
            lead.lease,
        )
        for _attempt in attempts:
            answers.append(random_() < p_answer)
            handle.append(values[find(cumulative, random_() * total)])
            asks.append(random_() < p_callback)
            delays.append(delay_low + delay_span * random_())  # rng.uniform(a, b) is a + (b − a)·random()
            lease.append(lease_low + lease_span * random_())
        return lead

    return draw


@dataclass(frozen=True)
class Cell:
    weekday: int
    hour: int
    leads_per_week: float
    erlang: int
    required: int  # by the simulation of the real arrivals
    rostered: int
    share: float | None  # expected share within the SLA with the roster (None: no leads)
    share_breach: float | None

    def missed(self, target):
        return self.share is not None and self.share < target


@dataclass(frozen=True)
class Plan:
    cells: dict  # (weekday, hour) → Cell
    share: float | None  # with the roster, whole history: within the SLA
    share_breach: float | None  # within the team's breach limit
    leads: int
    weeks: float
    handle_mean: float


def requirements(history, run, *, target, sla_minutes):
    """{(weekday, hour): (leads per week, Erlang C estimate, needed by the simulation)}: what each open
    hour needs, whoever is rostered (so the what-if reuses it)."""
    open_hours = run.line.open_slots()
    weeks = history.days / 7
    by_slot = {}
    for lead in run.leads:
        by_slot.setdefault(run.slot_of[lead.pk], []).append(lead)
    handle = history.handle_mean * max(1.0, history.calls_per_lead)
    result = {}
    for slot, hours_open in open_hours.items():
        leads = by_slot.get(slot, [])
        per_hour = len(leads) / hours_open if hours_open else 0.0
        estimate = erlang.agents_needed(
            leads_per_hour=per_hour, handle_minutes=handle, target_minutes=sla_minutes, share=target
        )
        needed = _required_by_simulation(leads, run.week_of, target, sla_minutes, estimate)
        result[slot] = (len(leads) / weeks if weeks else 0.0, estimate, needed)
    return result


def staffing_plan(history, run, shifts, *, needs, sla_minutes, breach_minutes, first_call=None):
    """Required (`needs`, from `requirements`) vs rostered per slot, and the shares expected with the
    roster `shifts`: the whole history replayed, the queue carried from hour to hour (`first_call`: that
    replay's {pk: wait}, when already run by `roster_waits`)."""
    by_slot = {}
    for lead in run.leads:
        by_slot.setdefault(run.slot_of[lead.pk], []).append(lead)
    if first_call is None:
        first_call = roster_waits(run, shifts)
    total = _shares(run.leads, first_call, (sla_minutes, breach_minutes))
    cells = {}
    for (weekday, hour), (per_week, estimate, needed) in needs.items():
        shares = _shares(by_slot.get((weekday, hour), []), first_call, (sla_minutes, breach_minutes))
        cells[(weekday, hour)] = Cell(
            weekday=weekday,
            hour=hour,
            leads_per_week=per_week,
            erlang=estimate,
            required=needed,
            rostered=_rostered(shifts, weekday, hour),
            share=shares[0],
            share_breach=shares[1],
        )
    return Plan(
        cells=cells,
        share=total[0],
        share_breach=total[1],
        leads=len(run.leads),
        weeks=history.days / 7,
        handle_mean=history.handle_mean,
    )


def roster_waits(run, shifts):
    """{pk: working minutes from entering the queue to the first call} of the replay with `shifts`."""
    first_call, _leads = queue_sim.simulate(run.leads, qualifiers=run.line.roster_steps(shifts))
    return first_call


def wait_counts(run, first_call, cap=MAX_WAIT_COUNTED):
    """{slot: [leads, c0, c1, …]}: per slot, how many leads and how many were first called within
    (m − 1, m] working minutes (c0: at once), m up to `cap`, trailing zeros dropped. The share within
    any whole limit L ≤ cap is then (c0 + … + cL) / leads, exactly as `_shares` counts it
    (w ≤ L ⇔ ⌈w⌉ ≤ L for a whole L): a new SLA limit reads the stored replay, no new one."""
    rows = {}
    for lead in run.leads:
        row = rows.setdefault(run.slot_of[lead.pk], [0])
        row[0] += 1
        wait = first_call.get(lead.pk)
        if wait is None or wait > cap:
            continue
        minute = max(0, math.ceil(wait))
        while len(row) < minute + 2:
            row.append(0)
        row[minute + 1] += 1
    return rows


def within_counted(row, limit):
    """Leads of a `wait_counts` row called within `limit` (a whole number of minutes ≤ the cap)."""
    return sum(row[1 : limit + 2])


def _shares(leads, first_call, limits):
    if not leads:
        return [None] * len(limits)
    waits = [first_call.get(lead.pk) for lead in leads]
    return [sum(1 for w in waits if w is not None and w <= limit) / len(leads) for limit in limits]


def _rostered(shifts, weekday, hour):
    """Who is on shift for the whole hour: the fewest on shift at any minute of it."""
    minutes = range(hour * 60, hour * 60 + 60)
    return min(
        sum(1 for shift in shifts if shift.covers(weekday, m))
        for m in (minutes[0], minutes[-1], *_cuts(shifts, weekday, minutes))
    )


def _cuts(shifts, weekday, minutes):
    return [m for shift in shifts if shift.weekday == weekday for m in (shift.start, shift.end) if m in minutes]


def _required_by_simulation(leads, week_of, target, sla_minutes, start):
    """The fewest on shift for the hour (each week's leads of the slot replayed from an empty queue)
    so that `target` of them are called within `sla_minutes`. Searched from the Erlang estimate."""
    if not leads:
        return 0
    groups = {}
    for lead in leads:
        groups.setdefault(week_of[lead.pk], []).append(lead)

    def meets(agents):
        hits = 0
        for group in groups.values():
            first_call, _ = queue_sim.simulate(group, qualifiers=agents)
            hits += sum(1 for lead in group if first_call.get(lead.pk, sla_minutes + 1) <= sla_minutes)
        return hits >= target * len(leads) - 1e-9

    agents = min(max(1, start), MAX_AGENTS)
    if meets(agents):
        # downwards likewise: one at a time for a few steps, then galloping (Erlang C can ask for far
        # more than the cap when a night's leads enter at opening)
        for _step in range(LINEAR_STEPS):
            if agents == 1 or not meets(agents - 1):
                return agents
            agents -= 1
        high, stride = agents, 1  # `high` meets
        while True:
            low = max(0, high - stride)
            if low == 0 or not meets(low):
                break
            high, stride = low, stride * 2
        while high - low > 1:  # low fails (or is 0), high meets
            middle = (low + high) // 2
            if meets(middle):
                high = middle
            else:
                low = middle
        return high
    # upwards: one at a time for the usual few steps, then by doubling strides and halving back (a burst
    # at opening can need a hundred more than Erlang C says: ~10 runs instead of ~100 at 1,000,000 leads)
    for _step in range(LINEAR_STEPS):
        agents += 1
        if agents >= MAX_AGENTS or meets(agents):
            return min(agents, MAX_AGENTS)
    low, stride = agents, 1  # `low` does not meet
    while True:
        high = min(MAX_AGENTS, low + stride)
        if high == MAX_AGENTS or meets(high):
            break
        low, stride = high, stride * 2
    while high - low > 1:  # low fails, high meets (or is the cap)
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def weekly_shares(run, first_call, limit):
    """{Monday: (leads, share within `limit`)} of the replay by the week the lead was received in."""
    weeks = {}
    for lead in run.leads:
        day = run.received_day[lead.pk]
        monday = day - timedelta(days=day.weekday())
        hits, n = weeks.get(monday, (0, 0))
        wait = first_call.get(lead.pk)
        weeks[monday] = (hits + (wait is not None and wait <= limit), n + 1)
    return {monday: (n, hits / n) for monday, (hits, n) in sorted(weeks.items())}


def minutes_of(value: time):
    return value.hour * 60 + value.minute


def shift_label(shift: ShiftSpec):
    return f"{shift.start // 60:02d}:{shift.start % 60:02d}–{shift.end // 60:02d}:{shift.end % 60:02d}"


def local_midnight(day, tz):
    return datetime.combine(day, time(), tz)
