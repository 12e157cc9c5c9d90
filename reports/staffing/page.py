"""What the planner page shows: the heat map, the shares, the what-if; and the backtest page."""

from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.models import Shift
from leadflow.workhours import WorkCalendar

from .. import rollup, selectors
from ..selectors.common import Period, ReportFilter
from . import history as team_history_module
from . import snapshot
from .model import ShiftSpec, minutes_of, replay, requirements, staffing_plan, weekly_shares

WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
HISTORY_CACHE_SECONDS = 600
DEFAULT_TARGET = 0.9  # the promise when none is asked: 90 % called within the limit
LIVE_LEADS = 5_000  # a window up to this many leads is replayed whole on every request (~0.5 s)
BACKTEST_CACHE_SECONDS = 8 * 24 * 3600  # a big team's backtest, made nightly, outlives a missed night


def roster_of(team):
    return [
        ShiftSpec(
            weekday=s.weekday, start=minutes_of(s.starts_at), end=minutes_of(s.ends_at), user_id=s.user_id, pk=s.pk
        )
        for s in Shift.objects.filter(team=team).order_by("weekday", "starts_at", "pk")
    ]


def what_if_roster(roster, *, add=None, add_count=1, move_id=None, move_to=None):
    """The roster with the what-if applied (in memory, nothing saved): `add` (a ShiftSpec) `add_count`
    times, and the shift `move_id` moved to `move_to` (a ShiftSpec: weekday, start, end)."""
    result = []
    for shift in roster:
        if move_id is not None and shift.pk == move_id and move_to is not None:
            shift = replace(shift, weekday=move_to.weekday, start=move_to.start, end=move_to.end)
        result.append(shift)
    if add is not None:
        result += [add] * add_count
    return result


def history_cache_key(team, first_day, days):
    return f"reports:staffing:history:{team.pk}:{first_day.isoformat()}:{days}"


def cached_history(team, today):
    """The team's history of the window: from the cache, else kept with a big team's snapshot, else
    read (reports.staffing.history); cached for HISTORY_CACHE_SECONDS."""
    first_day, days = team_history_module.history_window(today)
    key = history_cache_key(team, first_day, days)
    history = cache.get(key)
    if history is None:
        history = snapshot.stored_history(team, first_day, days)
        if history is None:
            history = team_history_module.team_history(team, first_day=first_day, days=days)
        cache.set(key, history, HISTORY_CACHE_SECONDS)
    return history


def planner_page(*, team, target, sla_minutes, roster, what_if=None, today=None):
    """The heat map of `team` for the current `roster` and, with `what_if` (the roster changed), for it too."""
    today = today or timezone.localdate(timezone=ZoneInfo(team.time_zone))
    calendar = WorkCalendar.for_team(team)
    history = cached_history(team, today)
    context = {
        "team": team,
        "target": target,
        "sla_minutes": sla_minutes,
        "breach_minutes": team.sla_breach_minutes,
        "history_first": history.first_day,
        "history_last": history.first_day + timedelta(days=history.days - 1),
        "roster": roster,
        "empty": not history.arrivals,
    }
    if context["empty"]:
        return context
    options = {"sla_minutes": sla_minutes, "breach_minutes": team.sla_breach_minutes}
    if history.leads > LIVE_LEADS:  # a big team: the snapshot and the what-if by days (staffing.snapshot)
        stored = snapshot.snapshot_plan(team, history, calendar, target=target, sla_minutes=sla_minutes, roster=roster)
        base = plan = stored.plan
        context["snapshot_estimated"] = stored.estimated
        context["needs_pending"] = stored.needs_pending
        if what_if is not None:
            plan, context["replayed_days"] = snapshot.what_if_by_days(
                history, calendar, base=base, roster=roster, what_if=what_if, days_before=stored.days_before, **options
            )
            context["replayed_days_text"] = ", ".join(f"{day:%d.%m.%Y}" for day in context["replayed_days"])
        context["snapshot"] = True
    else:
        run = replay(history, calendar, breach_minutes=team.sla_breach_minutes)
        key = f"reports:staffing:needs:{team.pk}:{history.first_day.isoformat()}:{history.days}:{target}:{sla_minutes}"
        needs = cache.get(key)
        if needs is None:
            needs = requirements(history, run, target=target, sla_minutes=sla_minutes)
            cache.set(key, needs, HISTORY_CACHE_SECONDS)
        base = staffing_plan(history, run, roster, needs=needs, **options)
        plan = staffing_plan(history, run, what_if, needs=needs, **options) if what_if is not None else base
    grid = _grid(plan, target, estimated_needs=context.get("needs_pending", False))
    context.update(base=base, plan=plan, grid=grid, hours=_hours(plan), history=history)
    context["missed_hours"] = sum(1 for cell in plan.cells.values() if cell.missed(target))
    return context


def _hours(plan):
    return sorted({hour for _weekday, hour in plan.cells})


def _grid(plan, target, *, estimated_needs=False):
    hours = _hours(plan)
    rows = []
    for weekday in range(7):
        cells = []
        for hour in hours:
            cell = plan.cells.get((weekday, hour))
            if cell is None:
                cells.append({"closed": True, "hour": hour})
                continue
            state = "none" if cell.share is None else "missed" if cell.missed(target) else "ok"
            need = f"≈{cell.required}" if estimated_needs else cell.required  # Erlang C's until the search
            cells.append(
                {"cell": cell, "state": state, "hour": hour, "short": cell.rostered - cell.required, "need": need}
            )
        rows.append({"weekday": WEEKDAYS[weekday], "number": weekday, "cells": cells})
    return rows


# --- the backtest ---------------------------------------------------------------------------------


def last_full_month(today):
    first_this = today.replace(day=1)
    last_month_end = first_this - timedelta(days=1)
    return last_month_end.replace(day=1), first_this


def backtest(*, team, today=None):
    """For the last full month: per week, the share within the team's warning limit the planner predicts
    (the month's own arrivals replayed with the current roster) and the one the speed dashboard measured
    (the same selector, the same definition: within_warn / decided), and the error in points.

    A big team (one with a staffing snapshot: more than LIVE_LEADS leads in the planner's window) reads the
    weeks computed by the nightly task for this month and roster (`backtest_refresh`, kept in the cache:
    the month's ~340,000 leads at 1,000,000 are not replayed, nor the speed selector run, per request);
    when there are none (the roster changed) the computation is queued and the page says so."""
    tz = ZoneInfo(team.time_zone)
    today = today or timezone.localdate(timezone=tz)
    first, end = last_full_month(today)
    roster = roster_of(team)
    pending = False
    if _is_big(team, today):
        key = _backtest_key(team, first, roster)
        rows = cache.get(key)
        if rows is None:
            _backtest_later(team, first, roster)
            rows = cache.get(key)  # the task ran at once (Celery eager) or another page queued it
        pending = rows is None
        rows = rows or []
    else:
        rows = backtest_rows(team, first, end, roster)
    errors = [abs(row["error"]) for row in rows if row["error"] is not None]
    return {
        "team": team,
        "month": first,
        "rows": rows,
        "max_error": max(errors) if errors else None,
        "mean_error": sum(errors) / len(errors) if errors else None,
        "empty": not rows and not pending,
        "pending": pending,
    }


def backtest_rows(team, first, end, roster):
    """The backtest's weeks: the prediction (`backtest_predicted`) beside the speed dashboard's measure."""
    tz = ZoneInfo(team.time_zone)
    predicted = backtest_predicted(team, first, end, roster)
    report_filter = ReportFilter(period=Period(rollup.day_start(first), rollup.day_start(end)), team_id=team.pk)
    scope = selectors.Scope()
    measured = selectors.speed(
        leads=selectors.lead_base(report_filter=report_filter, scope=scope),
        group_by="team",
        plan=rollup.speed_plan(report_filter=report_filter, scope=scope, group_by="team"),
    )
    by_week = {timezone.localtime(row["week"], tz).date(): row for row in measured["trend"]}
    rows = []
    for monday, (leads, share) in predicted.items():
        row = by_week.get(monday)
        measured_share = row["warn_share"] if row else None
        rows.append(
            {
                "week": monday,
                "leads": leads,
                "predicted": share,
                "measured": measured_share,
                "error": None if measured_share is None else share - measured_share,
            }
        )
    return rows


def backtest_predicted(team, first, end, roster):
    """{Monday: (leads, predicted share within the warning limit)}: the month's arrivals replayed with `roster`."""
    history = team_history_module.team_history(team, first_day=first, days=(end - first).days)
    calendar = WorkCalendar.for_team(team)
    run = replay(history, calendar, breach_minutes=team.sla_breach_minutes)
    from qualification import queue_sim

    first_call, _leads = queue_sim.simulate(run.leads, qualifiers=run.line.roster_steps(roster))
    return weekly_shares(run, first_call, team.sla_warn_minutes)


def backtest_refresh(team, *, today=None):
    """Compute a big team's backtest of the last full month with its roster now, and keep it (the nightly
    task, or queued by the backtest page after a roster change): the measured side is then as of that
    computation, at most a day old, like the planner's history. Safe to run twice."""
    today = today or timezone.localdate(timezone=ZoneInfo(team.time_zone))
    first, end = last_full_month(today)
    roster = roster_of(team)
    rows = backtest_rows(team, first, end, roster)
    cache.set(_backtest_key(team, first, roster), rows, BACKTEST_CACHE_SECONDS)
    return rows


def _is_big(team, today):
    from ..models import StaffingSnapshot

    first_day, days = team_history_module.history_window(today)
    return StaffingSnapshot.objects.filter(team=team, first_day=first_day, days=days, leads__gt=LIVE_LEADS).exists()


def _backtest_key(team, first, roster):
    return f"reports:staffing:backtest-weeks:{team.pk}:{first.isoformat()}:{snapshot.roster_key(roster)}"


def _backtest_later(team, first, roster):
    """Queue the team's backtest once per month and roster (never raises: the nightly task makes it)."""
    from ..tasks import staffing_backtest_refresh

    if not cache.add(f"{_backtest_key(team, first, roster)}:queued", 1, snapshot.REFRESH_QUEUED_SECONDS):
        return
    try:
        staffing_backtest_refresh.apply_async(kwargs={"team_id": team.pk}, retry=False)
    except Exception:
        snapshot.log.warning("staffing backtest of team %s not queued; the nightly task will make it", team.pk)


def parse_day(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


# --- the exports (the same tables as the page; reports.exports writes them and logs the download) -----


def planner_tables(context):
    """The planner's tables for CSV/XLSX: every open hour (needed vs on shift, the expected shares) and
    the expected shares overall; with a what-if, its figures beside the current roster's."""
    from ..tables import Column, ReportTable

    sla, breach = context["sla_minutes"], context["breach_minutes"]
    base, plan, what_if = context.get("base"), context.get("plan"), context.get("what_if")
    columns = [
        Column("weekday", _("Day"), "text"),
        Column("hour", _("Hour"), "text"),
        Column("leads_per_week", _("Leads a week"), "num", of_leads=False),
        Column("required", _("Needed (simulation)"), "int", of_leads=False),
        Column("erlang", _("Needed (Erlang C)"), "int", of_leads=False),
        Column("rostered", _("On shift"), "int", of_leads=False),
        Column("short", _("On shift − needed"), "int", of_leads=False),
        Column("share", _("Expected within %(minutes)s min") % {"minutes": sla}, "pct", of_leads=False),
        Column("share_breach", _("Expected within %(minutes)s min") % {"minutes": breach}, "pct", of_leads=False),
    ]
    if what_if:
        columns += [
            Column("rostered_now", _("On shift, current roster"), "int", of_leads=False),
            Column(
                "share_now",
                _("Expected within %(minutes)s min, current roster") % {"minutes": sla},
                "pct",
                of_leads=False,
            ),
        ]
    rows = []  # no leads in the window: the tables without rows
    pending = context.get("needs_pending")  # the needs' search for this promise is queued: not exported
    for (weekday, hour), cell in sorted(plan.cells.items() if plan else ()):
        row = {
            "weekday": str(WEEKDAYS[weekday]),
            "hour": f"{hour:02d}:00",
            "leads_per_week": round(cell.leads_per_week, 2),
            "required": None if pending else cell.required,
            "erlang": cell.erlang,
            "rostered": cell.rostered,
            "short": None if pending else cell.rostered - cell.required,
            "share": cell.share,
            "share_breach": cell.share_breach,
        }
        if what_if:
            now = base.cells[(weekday, hour)]
            row.update(rostered_now=now.rostered, share_now=now.share)
        rows.append(row)
    hours = ReportTable(slug="hours", title=_("Needed vs on shift per weekday and hour"), columns=columns, rows=rows)
    share_rows = []
    if base:
        share_rows.append({"roster": str(_("Current roster")), "share": base.share, "share_breach": base.share_breach})
    if what_if and plan:
        share_rows.append(
            {"roster": str(_("With the what-if")), "share": plan.share, "share_breach": plan.share_breach}
        )
    shares = ReportTable(
        slug="shares",
        title=_("Expected shares"),
        columns=[Column("roster", _("Roster"), "text"), *columns[7:9]],
        rows=share_rows,
    )
    return [hours, shares]


def backtest_tables(context):
    from ..tables import Column, ReportTable

    rows = [{**row, "week": row["week"].isoformat()} for row in context["rows"]]
    table = ReportTable(
        slug="backtest",
        title=_("Predicted vs measured share within the warning limit"),
        columns=[
            Column("week", _("Week from"), "text"),
            Column("leads", _("Leads"), "int", of_leads=False),
            Column("predicted", _("Predicted by the planner"), "pct", of_leads=False),
            Column("measured", _("Measured by the speed dashboard"), "pct", of_leads=False),
            Column("error", _("Error (predicted − measured)"), "pct", of_leads=False),
        ],
        rows=rows,
    )
    return [table] if rows else []
