"""The planner for a big team (docs/staffing.md, "At 1,000,000 leads"; docs/decisions.md).

Below `LIVE_LEADS` leads in the history window every request replays the whole window (reports.staffing.page).
Above it, two things change, nothing else:

- the window's history (as reports.staffing.history reads it: three aggregate queries that take
  seconds at 1,000,000 leads), the hours' needs and the current roster's replay (every arrival of
  the window, as below the limit) are computed once and kept in `StaffingSnapshot` (one row per
  team, window and promise; refreshed nightly by `reports.tasks.staffing_snapshots_refresh`, computed
  by the first page that finds none or finds it made for another roster);
- the what-if replays only the days it changes: for each weekday whose shifts differ, its most recent
  open days (at least one, as many as fit in `WHAT_IF_LEADS` leads), each from an empty queue at the
  day's opening, with the changed roster (the current roster's run of every day alone is kept with the
  snapshot, so a what-if runs one replay per day, not two). The difference per hour
  (and, scaled to the weekday's leads in the window, overall) is added to the snapshot's shares.
  tests/reports/test_staffing_snapshot.py holds it within WHAT_IF_TOLERANCE of the full replay.
"""

import bisect
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from qualification import queue_sim

from ..models import StaffingSnapshot
from .model import (
    MAX_WAIT_COUNTED,
    Cell,
    History,
    Plan,
    ShiftSpec,
    WorkLine,
    local_midnight,
    replay,
    requirements,
    roster_waits,
    staffing_plan,
    wait_counts,
    within_counted,
)

log = logging.getLogger(__name__)

WHAT_IF_LEADS = 8_000
REFRESH_QUEUED_SECONDS = 30 * 60  # a roster's recomputation is queued at most once in this time
WHAT_IF_TOLERANCE = 0.05  # the what-if by days vs the full replay: shares within 5 points (tested)


def roster_key(roster):
    shifts = sorted((shift.weekday, shift.start, shift.end) for shift in roster)
    return hashlib.sha256(repr(shifts).encode()).hexdigest()


def snapshot_plan(team, history, calendar, *, target, sla_minutes, roster, refresh=False):
    """The team's `Snapshot` for this history and promise: stored, or computed and stored when there is none
    for any promise of the window (or it was made from other leads); made for another roster, it is moved to
    this one as a what-if (`estimated`) and the recomputation is queued; made for another promise only, its
    replay is re-read at the new limit and the needs are Erlang C's until the promise's own snapshot, queued,
    is made (`needs_pending`): no request of a big team searches the needs of the whole window."""
    key = roster_key(roster)
    lookup = {
        "team": team,
        "first_day": history.first_day,
        "days": history.days,
        "target_percent": round(target * 100),
        "sla_minutes": sla_minutes,
    }
    limits = (sla_minutes, team.sla_breach_minutes)
    row = None if refresh else StaffingSnapshot.objects.filter(**lookup).defer("history").first()
    if row is not None and row.leads == history.leads and row.roster_key == key:
        needs = needs_from_json(row.needs)
        return Snapshot(needs, plan_from_json(row.plan, needs, roster), days_at(row.plan, limits))
    if row is not None and row.leads == history.leads and "roster" in row.plan:
        # the roster changed since: the stored roster's figures moved by the change, as a what-if, until the
        # recomputation queued here replaces them (a request cannot replay a big team's window)
        needs = needs_from_json(row.needs)
        plan = _moved_to(row, needs, history, calendar, roster, limits)
        _refresh_later(team, key, target=target, sla_minutes=sla_minutes)
        return Snapshot(needs, plan, None, estimated=True)
    if not refresh and (row is None or row.leads != history.leads):
        # none for this promise made from this history (the page's history is the newest snapshot's): another
        # promise's snapshot re-read, this one's queued
        answer = _another_promise(team, history, calendar, target=target, limits=limits, roster=roster)
        if answer is not None:
            _refresh_later(team, key, target=target, sla_minutes=sla_minutes)
            return answer
    run = replay(history, calendar, breach_minutes=team.sla_breach_minutes)
    if row is not None and row.leads == history.leads:
        needs = needs_from_json(row.needs)  # the needs do not depend on the roster
    else:
        needs = requirements(history, run, target=target, sla_minutes=sla_minutes)
    first_call = roster_waits(run, roster)
    plan = staffing_plan(
        history,
        run,
        roster,
        needs=needs,
        sla_minutes=sla_minutes,
        breach_minutes=team.sla_breach_minutes,
        first_call=first_call,
    )
    day_waits = days_of_roster(history, calendar, roster, breach_minutes=team.sla_breach_minutes)
    StaffingSnapshot.objects.update_or_create(  # its own transaction and row lock: two pages at once agree
        **lookup,
        defaults={
            "computed_at": timezone.now(),  # the newest row's history is the page's (`stored_history`)
            "leads": history.leads,
            "history": history_to_json(history),
            "needs": needs_to_json(needs),
            "roster_key": key,
            "plan": {
                **plan_to_json(plan),
                "waits": counts_to_json(wait_counts(run, first_call)),
                "day_waits": {day: counts_to_json(slots) for day, slots in day_waits.items()},
                "roster": sorted([shift.weekday, shift.start, shift.end] for shift in roster),
            },
        },
    )
    return Snapshot(needs, plan, days_at({"day_waits": day_waits}, limits))


@dataclass(frozen=True)
class Snapshot:
    needs: dict
    plan: Plan  # the current roster's
    days_before: dict | None  # the current roster's run of each day alone (None: not known yet)
    estimated: bool = False  # the roster changed since the snapshot: the plan is a what-if of the stored one
    needs_pending: bool = False  # made for another promise: the needs are Erlang C's until the promise's own


def _stored_roster(row):
    return [ShiftSpec(weekday=weekday, start=start, end=end) for weekday, start, end in row.plan["roster"]]


def _moved_to(row, needs, history, calendar, roster, limits, base=None):
    """The stored roster's plan of `row` (or `base`) moved to `roster` as a what-if (its days replayed)."""
    made_for = _stored_roster(row)
    plan, _days = what_if_by_days(
        history,
        calendar,
        base=base or plan_from_json(row.plan, needs, made_for),
        roster=made_for,
        what_if=roster,
        sla_minutes=limits[0],
        breach_minutes=limits[1],
        days_before=days_at(row.plan, limits),
    )
    return plan


def _another_promise(team, history, calendar, *, target, limits, roster):
    """The window's snapshot made for another promise, re-read for this one, or None when there is none or it
    cannot be re-read (made before the waits were kept, and for another limit).

    What is exact: the roster replay does not depend on X, and the waits kept per slot and minute
    (`wait_counts`) give its share within any limit up to MAX_WAIT_COUNTED, so the shares and the red/green
    (a share against X) of the stored roster are those of a full computation. What is not: the hours'
    needs (the simulation's search depends on X and the limit) are Erlang C's for the new promise until the
    recomputation replaces them; a roster changed since is moved by its days, as after a roster change."""
    rows = (
        StaffingSnapshot.objects.filter(team=team, first_day=history.first_day, days=history.days, leads=history.leads)
        .defer("history")
        .order_by("-computed_at")
    )
    key = roster_key(roster)
    usable = [
        row
        for row in rows
        if "roster" in row.plan
        and (row.sla_minutes == limits[0] or ("waits" in row.plan and max(limits) <= MAX_WAIT_COUNTED))
    ]
    if not usable:
        return None
    row = min(usable, key=lambda row: (row.roster_key != key, row.sla_minutes != limits[0]))
    needs = erlang_needs(history, calendar, needs_from_json(row.needs), target=target, sla_minutes=limits[0])
    made_for = _stored_roster(row)
    base = plan_from_json(row.plan, needs, made_for, limits=limits)
    if row.roster_key == key:
        return Snapshot(needs, base, days_at(row.plan, limits), needs_pending=True)
    plan = _moved_to(row, needs, history, calendar, roster, limits, base=base)
    return Snapshot(needs, plan, None, estimated=True, needs_pending=True)


def erlang_needs(history, calendar, stored, *, target, sla_minutes):
    """`stored` needs (leads a week per slot do not depend on the promise) with Erlang C's estimate for
    this promise as both the estimate and, until the simulation's search is made, the needed count."""
    from . import erlang

    open_hours = WorkLine(_RememberedWindows(calendar), history.first_day, history.days).open_slots()
    weeks = history.days / 7
    handle = history.handle_mean * max(1.0, history.calls_per_lead)
    result = {}
    for slot, (per_week, _estimate, _needed) in stored.items():
        hours = open_hours.get(slot, 0)
        per_hour = per_week * weeks / hours if hours else 0.0
        estimate = erlang.agents_needed(
            leads_per_hour=per_hour, handle_minutes=handle, target_minutes=sla_minutes, share=target
        )
        result[slot] = (per_week, estimate, estimate if per_week else 0)
    return result


def _refresh_later(team, key, *, target=None, sla_minutes=None):
    """Queue the team's recomputation for this promise once per roster (never raises: the nightly task
    catches up with the default promise)."""
    from django.core.cache import cache

    from ..tasks import staffing_snapshots_refresh

    promise = {}
    if target is not None:
        promise = {"target_percent": round(target * 100), "sla_minutes": sla_minutes}
    marker = f"reports:staffing:refreshing:{team.pk}:{key}:{promise.get('target_percent')}:{sla_minutes}"
    if not cache.add(marker, 1, REFRESH_QUEUED_SECONDS):
        return
    try:
        staffing_snapshots_refresh.apply_async(kwargs={"team_id": team.pk, **promise}, retry=False)
    except Exception:
        log.warning("staffing snapshot of team %s not queued; the nightly task will make it", team.pk, exc_info=True)


def stored_history(team, first_day, days):
    """The history kept with the team's snapshot of this window (any promise), or None: a team has a
    snapshot only when its window held more than LIVE_LEADS leads."""
    row = (
        StaffingSnapshot.objects.filter(team=team, first_day=first_day, days=days)
        .order_by("-computed_at", "-pk")
        .values_list("history", flat=True)
        .first()
    )
    return history_from_json(row, first_day=first_day, days=days) if row else None


def history_to_json(history):
    return {
        "arrivals": [[int(minute.timestamp()) // 60, n] for minute, n in history.arrivals],
        "handle": [[minutes, n] for minutes, n in history.handle_minutes.items()],
        "answered_share": history.answered_share,
        "callback_share": history.callback_share,
        "calls_per_lead": history.calls_per_lead,
    }


def history_from_json(data, *, first_day, days):
    return History(
        first_day=first_day,
        days=days,
        arrivals=[(datetime.fromtimestamp(minute * 60, UTC), n) for minute, n in data["arrivals"]],
        handle_minutes=dict(data["handle"]),
        answered_share=data["answered_share"],
        callback_share=data["callback_share"],
        calls_per_lead=data["calls_per_lead"],
    )


def counts_to_json(counts):
    return [[*slot, *row] for slot, row in sorted(counts.items())]


def counts_from_json(rows):
    return {(row[0], row[1]): row[2:] for row in rows}


def days_at(plan_data, limits):
    """{ISO day: {slot: (within limits[0], within limits[1], leads)}} of the stored roster's days, re-read
    from their waits (`day_waits`) at these limits; a snapshot made before the waits were kept has them
    at its own limit only (`days`, used when it is this one). None when not known."""
    if "day_waits" in plan_data:
        if max(limits) > MAX_WAIT_COUNTED:
            return None
        return {
            day: {
                slot: (within_counted(row, limits[0]), within_counted(row, limits[1]), row[0])
                for slot, row in (slots.items() if isinstance(slots, dict) else counts_from_json(slots).items())
            }
            for day, slots in plan_data["day_waits"].items()
        }
    if "days" in plan_data and plan_data.get("limits", limits) == limits:
        return {day: {(row[0], row[1]): tuple(row[2:]) for row in rows} for day, rows in plan_data["days"].items()}
    return None


def needs_to_json(needs):
    return [[weekday, hour, *values] for (weekday, hour), values in sorted(needs.items())]


def needs_from_json(rows):
    return {(weekday, hour): (per_week, erlang, needed) for weekday, hour, per_week, erlang, needed in rows}


def plan_to_json(plan):
    return {
        "cells": [[c.weekday, c.hour, c.share, c.share_breach] for c in plan.cells.values()],
        "share": plan.share,
        "share_breach": plan.share_breach,
        "leads": plan.leads,
        "weeks": plan.weeks,
        "handle_mean": plan.handle_mean,
    }


def plan_from_json(data, needs, roster, *, limits=None):
    """The stored plan; with `limits` (another SLA limit than the snapshot's) its shares re-read from the
    waits kept per slot and minute (`wait_counts`): the same replay, counted at the new limits."""
    from .model import _rostered

    cells = {}
    shares = None
    if limits is not None and "waits" in data:
        shares = {}
        totals = [0, 0, 0]
        for slot, row in counts_from_json(data["waits"]).items():
            hits = (within_counted(row, limits[0]), within_counted(row, limits[1]))
            shares[slot] = tuple(n / row[0] for n in hits) if row[0] else (None, None)
            totals = [totals[0] + hits[0], totals[1] + hits[1], totals[2] + row[0]]
        data = {
            **data,
            "share": totals[0] / totals[2] if totals[2] else None,
            "share_breach": totals[1] / totals[2] if totals[2] else None,
        }
    for weekday, hour, share, share_breach in data["cells"]:
        if shares is not None:
            share, share_breach = shares.get((weekday, hour), (None, None))
        per_week, erlang, needed = needs[(weekday, hour)]
        cells[(weekday, hour)] = Cell(
            weekday=weekday,
            hour=hour,
            leads_per_week=per_week,
            erlang=erlang,
            required=needed,
            rostered=_rostered(roster, weekday, hour),
            share=share,
            share_breach=share_breach,
        )
    return Plan(
        cells=cells,
        share=data["share"],
        share_breach=data["share_breach"],
        leads=data["leads"],
        weeks=data["weeks"],
        handle_mean=data["handle_mean"],
    )


# --- the what-if by days ------------------------------------------------------------------------------


def changed_weekdays(roster, what_if):
    def by_weekday(shifts):
        result = {}
        for shift in shifts:
            result.setdefault(shift.weekday, []).append((shift.start, shift.end))
        return {weekday: sorted(spans) for weekday, spans in result.items()}

    before, after = by_weekday(roster), by_weekday(what_if)
    return sorted(weekday for weekday in set(before) | set(after) if before.get(weekday) != after.get(weekday))


def entry_bounds(calendar, day):
    """[since, closes) of the arrivals that enter the queue on `day` (received that day before closing,
    or since the last closing before it); None when the team is closed that day."""
    window = calendar.window_on(day)
    if window is None:
        return None
    since = local_midnight(day - timedelta(days=7), calendar.tz)
    for back in range(1, 8):
        before = calendar.window_on(day - timedelta(days=back))
        if before is not None:
            since = before[1]
            break
    return since, window[1]


def day_history(history, calendar, day):
    """The leads that enter the queue on `day` as a one-day History (None: closed)."""
    bounds = entry_bounds(calendar, day)
    if bounds is None:
        return None
    first = bisect.bisect_left(history.arrivals, bounds[0], key=_minute)
    last = bisect.bisect_left(history.arrivals, bounds[1], key=_minute)
    return History(
        first_day=day,
        days=1,
        arrivals=history.arrivals[first:last],
        handle_minutes=history.handle_minutes,
        answered_share=history.answered_share,
        callback_share=history.callback_share,
        calls_per_lead=history.calls_per_lead,
    )


def _minute(arrival):
    return arrival[0]


def day_hits(run, shifts, limits):
    """{slot: (called within limits[0], within limits[1], leads)} of one day's replay with `shifts`."""
    first_call, _ = queue_sim.simulate(run.leads, qualifiers=run.line.roster_steps(shifts))
    hits = {}
    for lead in run.leads:
        row = hits.setdefault(run.slot_of[lead.pk], [0, 0, 0])
        row[0] += _within(first_call, lead, limits[0])
        row[1] += _within(first_call, lead, limits[1])
        row[2] += 1
    return hits


def days_of_roster(history, calendar, roster, *, breach_minutes):
    """{ISO day: {slot: wait counts}} of every open day of the window replayed alone with the current
    roster: the "before" side of every what-if (`days_at` reads it at any limit), kept with the snapshot so
    a what-if runs one replay, not two."""
    calendar = _RememberedWindows(calendar)
    result = {}
    for n in range(history.days):
        sub = day_history(history, calendar, history.first_day + timedelta(days=n))
        if sub is not None and sub.arrivals:
            run = replay(sub, calendar, breach_minutes=breach_minutes)
            result[sub.first_day.isoformat()] = wait_counts(run, roster_waits(run, roster))
    return result


def what_if_by_days(
    history, calendar, *, base, roster, what_if, sla_minutes, breach_minutes, budget=None, days_before=None
):
    """The plan `base` (the current roster, whole window) moved by the effect of `what_if` on the days it
    changes (see the module's docstring). Returns (Plan, the days replayed)."""
    budget = WHAT_IF_LEADS if budget is None else budget
    calendar = _RememberedWindows(calendar)
    weekdays = changed_weekdays(roster, what_if)
    chosen, spent = [], 0
    instances = {weekday: [] for weekday in weekdays}
    for n in range(history.days - 1, -1, -1):  # the most recent days first
        day = history.first_day + timedelta(days=n)
        if day.weekday() in instances:
            sub = day_history(history, calendar, day)
            if sub is not None and sub.arrivals:
                instances[day.weekday()].append(sub)
    for round_ in range(max((len(days) for days in instances.values()), default=0)):
        for weekday in weekdays:
            days = instances[weekday]
            if round_ < len(days) and (round_ == 0 or spent + days[round_].leads <= budget):
                chosen.append(days[round_])
                spent += days[round_].leads
    delta_hits, slot_leads, weekday_sample = {}, {}, {}
    limits = (sla_minutes, breach_minutes)
    for sub in chosen:
        run = replay(sub, calendar, breach_minutes=breach_minutes)
        before = (days_before or {}).get(sub.first_day.isoformat())
        if before is None:  # not kept with the snapshot (or no snapshot): the current roster's run too
            before = day_hits(run, roster, limits)
        after = day_hits(run, what_if, limits)
        for slot, (hits, hits_breach, n) in after.items():
            was = before.get(slot, (0, 0, 0))
            delta = delta_hits.setdefault(slot, [0, 0])
            delta[0] += hits - was[0]
            delta[1] += hits_breach - was[1]
            slot_leads[slot] = slot_leads.get(slot, 0) + n
        weekday_sample[sub.first_day.weekday()] = weekday_sample.get(sub.first_day.weekday(), 0) + len(run.leads)
    cells = {}
    for slot, cell in base.cells.items():
        rostered = _rostered_of(what_if, *slot)
        if slot in slot_leads and cell.share is not None:
            gain, gain_breach = (hits / slot_leads[slot] for hits in delta_hits[slot])
            cell = replace(
                cell,
                share=_clip(cell.share + gain),
                share_breach=_clip(cell.share_breach + gain_breach),
                rostered=rostered,
            )
        else:
            cell = replace(cell, rostered=rostered)
        cells[slot] = cell
    # overall: each weekday's change in calls made in time, scaled from its sample to its leads in the window
    window_leads = _leads_by_weekday(history, calendar)
    gain = [0.0, 0.0]
    for slot, hits in delta_hits.items():
        weekday = slot[0]
        scale = window_leads.get(weekday, 0) / weekday_sample[weekday] if weekday_sample.get(weekday) else 0
        gain[0] += hits[0] * scale
        gain[1] += hits[1] * scale
    leads = base.leads or 1
    plan = replace(
        base,
        cells=cells,
        share=_clip(base.share + gain[0] / leads) if base.share is not None else None,
        share_breach=_clip(base.share_breach + gain[1] / leads) if base.share_breach is not None else None,
    )
    return plan, [sub.first_day for sub in chosen]


class _RememberedWindows:
    """The calendar with each day's window looked up once (the holiday calendar is slow to ask)."""

    def __init__(self, calendar):
        self.calendar, self.tz, self._windows = calendar, calendar.tz, {}

    def window_on(self, day):
        if day not in self._windows:
            self._windows[day] = self.calendar.window_on(day)
        return self._windows[day]


def _within(first_call, lead, limit):
    wait = first_call.get(lead.pk)
    return 1 if wait is not None and wait <= limit else 0


def _clip(value):
    return min(1.0, max(0.0, value))


def _rostered_of(shifts, weekday, hour):
    from .model import _rostered

    return _rostered(shifts, weekday, hour)


def _leads_by_weekday(history, calendar):
    """Leads of the window by the weekday of the day they enter the queue on (as `day_history` counts)."""
    cumulative, total = [0], 0
    for _at, n in history.arrivals:
        total += n
        cumulative.append(total)
    by_weekday = {}
    for n in range(history.days):
        day = history.first_day + timedelta(days=n)
        bounds = entry_bounds(calendar, day)
        if bounds is not None:
            first = bisect.bisect_left(history.arrivals, bounds[0], key=_minute)
            last = bisect.bisect_left(history.arrivals, bounds[1], key=_minute)
            by_weekday[day.weekday()] = by_weekday.get(day.weekday(), 0) + cumulative[last] - cumulative[first]
    return by_weekday


def snapshots_refresh(*, today=None, team_id=None, target_percent=None, sla_minutes=None, backtest=True):
    """Recompute the snapshot of every big qualification team (or of `team_id`) for the default promise
    (90 % within the team's warning limit), or for the promise given (queued by a page that asked for it),
    and its roster now, and the backtest of the last full month (`backtest`); returns the teams' ids
    refreshed. Safe to run twice."""
    from zoneinfo import ZoneInfo

    from leadflow.models import Team
    from leadflow.workhours import WorkCalendar

    from . import history as team_history
    from .page import DEFAULT_TARGET, LIVE_LEADS, backtest_refresh, roster_of

    refreshed = []
    teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("pk")
    for team in teams.filter(pk=team_id) if team_id is not None else teams:
        day = today or timezone.localdate(timezone=ZoneInfo(team.time_zone))
        first_day, days = team_history.history_window(day)
        history = None
        if target_percent is not None or sla_minutes is not None:
            # a promise a page asked for: from the history the page showed (kept with the window's snapshot)
            history = stored_history(team, first_day, days)
        if history is None:
            history = team_history.team_history(team, first_day=first_day, days=days)
        if history.leads <= LIVE_LEADS:
            continue
        snapshot_plan(
            team,
            history,
            WorkCalendar.for_team(team),
            target=DEFAULT_TARGET if target_percent is None else target_percent / 100,
            sla_minutes=team.sla_warn_minutes if sla_minutes is None else sla_minutes,
            roster=roster_of(team),
            refresh=True,
        )
        if backtest:
            backtest_refresh(team, today=day)
        refreshed.append(team.pk)
    return refreshed
