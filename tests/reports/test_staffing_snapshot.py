"""The planner for a big team (reports.staffing.snapshot, docs/staffing.md "At 1,000,000 leads"): the
snapshot holds exactly what the live replay computes, and the what-if replayed on the days it changes
stays within WHAT_IF_TOLERANCE of the what-if replayed over the whole window, on the demo's data."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache

from leadflow.models import Team
from leadflow.workhours import WorkCalendar
from reports.models import StaffingSnapshot
from reports.staffing import history as team_history
from reports.staffing import snapshot
from reports.staffing.model import ShiftSpec, replay, requirements, staffing_plan
from reports.staffing.page import planner_page, planner_tables, roster_of, what_if_roster

pytestmark = pytest.mark.django_db
DEMO_NOW = "2026-11-30 12:00 +03:00"

WHAT_IFS = {
    "+2 Monday 18-21": {"add": ShiftSpec(weekday=0, start=18 * 60, end=21 * 60), "add_count": 2},
    "+1 Sunday 9-15": {"add": ShiftSpec(weekday=6, start=9 * 60, end=15 * 60)},
    "+3 Wednesday 12-18": {"add": ShiftSpec(weekday=2, start=12 * 60, end=18 * 60), "add_count": 3},
}


@pytest.fixture
def demo(db):
    from demo.seed import seed_demo

    with time_machine.travel(DEMO_NOW, tick=False):
        seed_demo(leads=3000, analyze=False)


def full(team, history, calendar, roster, shifts, target=0.9):
    run = replay(history, calendar, breach_minutes=team.sla_breach_minutes)
    needs = requirements(history, run, target=target, sla_minutes=team.sla_warn_minutes)
    options = {"needs": needs, "sla_minutes": team.sla_warn_minutes, "breach_minutes": team.sla_breach_minutes}
    return needs, staffing_plan(history, run, roster, **options), staffing_plan(history, run, shifts, **options)


def test_the_what_if_by_days_is_within_the_tolerance_of_the_full_replay(demo):
    """Three what-ifs, each replayed on one day per changed weekday (as at 1,000,000 leads) and on all of
    them, against the same what-if replayed over the whole window."""
    with time_machine.travel(DEMO_NOW, tick=False):
        team = Team.objects.get(name="Квалификация")
        first, days = team_history.history_window(date(2026, 11, 30))
        history = team_history.team_history(team, first_day=first, days=days)
        calendar = WorkCalendar.for_team(team)
        roster = roster_of(team)
        stored = snapshot.snapshot_plan(
            team, history, calendar, target=0.9, sla_minutes=team.sla_warn_minutes, roster=roster
        )
        stored_needs, stored_base, days_before = stored.needs, stored.plan, stored.days_before
        for name, change in WHAT_IFS.items():
            shifts = what_if_roster(roster, **change)
            needs, base, exact = full(team, history, calendar, roster, shifts)
            # the snapshot is the live computation, stored
            assert stored_needs == needs
            assert stored_base == base
            for budget in (0, None):  # 0: one day per changed weekday; None: here all of them
                approx, replayed = snapshot.what_if_by_days(
                    history,
                    calendar,
                    base=stored_base,
                    roster=roster,
                    what_if=shifts,
                    sla_minutes=team.sla_warn_minutes,
                    breach_minutes=team.sla_breach_minutes,
                    budget=budget,
                )
                assert len(replayed) == 1 if budget == 0 else len(replayed) >= 3, name  # 4 November: a holiday
                with_stored, _days = snapshot.what_if_by_days(
                    history,
                    calendar,
                    base=stored_base,
                    roster=roster,
                    what_if=shifts,
                    sla_minutes=team.sla_warn_minutes,
                    breach_minutes=team.sla_breach_minutes,
                    budget=budget,
                    days_before=days_before,
                )
                assert with_stored == approx  # the current roster's days kept with the snapshot: the same run
                assert approx.share == pytest.approx(exact.share, abs=snapshot.WHAT_IF_TOLERANCE), name
                assert approx.share_breach == pytest.approx(exact.share_breach, abs=snapshot.WHAT_IF_TOLERANCE), name
                changed = snapshot.changed_weekdays(roster, shifts)
                for slot, cell in exact.cells.items():
                    assert approx.cells[slot].rostered == cell.rostered
                    if budget is None and slot[0] in changed:  # every day of the weekday replayed: the same
                        assert approx.cells[slot].share == pytest.approx(cell.share), (name, slot)


def test_a_big_team_reads_its_snapshot_and_the_what_if_replays_only_its_days(demo, monkeypatch):
    """Above LIVE_LEADS the page takes the needs and the roster's shares from the snapshot (computed on
    the first visit), and a what-if replays the days it changes; the shares are the live ones."""
    from reports.staffing import page

    with time_machine.travel(DEMO_NOW, tick=False):
        team = Team.objects.get(name="Квалификация")
        roster = roster_of(team)
        options = {"team": team, "target": 0.9, "sla_minutes": team.sla_warn_minutes, "roster": roster}
        cache.clear()
        live = planner_page(**options)
        monkeypatch.setattr(page, "LIVE_LEADS", 0)
        StaffingSnapshot.objects.all().delete()
        cache.clear()
        first = planner_page(**options)
        assert StaffingSnapshot.objects.count() == 1
        second = planner_page(**options)
        shifts = what_if_roster(roster, **WHAT_IFS["+1 Sunday 9-15"])
        what_if = planner_page(**options, what_if=shifts)
    assert first["snapshot"] and first["plan"] == live["plan"] == second["plan"]
    assert what_if["replayed_days"] and all(day.weekday() == 6 for day in what_if["replayed_days"])
    assert what_if["plan"].share > live["plan"].share


@pytest.fixture
def big(monkeypatch):
    """The hand-built history (tests/reports/staffing_data.py) treated as a big team's."""
    from reports.staffing import page

    from . import staffing_data

    monkeypatch.setattr(page, "LIVE_LEADS", 0)
    cache.clear()
    with time_machine.travel(staffing_data.TODAY, tick=False):
        yield staffing_data.build()


def test_the_nightly_task_stores_the_snapshot_of_big_teams_only(big, monkeypatch):
    from reports.staffing import page
    from reports.tasks import staffing_snapshots_refresh

    team, _people, _shift = big
    assert staffing_snapshots_refresh() == [team.pk]
    row = StaffingSnapshot.objects.get()
    assert (row.team, row.target_percent, row.sla_minutes, row.leads) == (team, 90, team.sla_warn_minutes, 24)
    assert row.needs == [[0, 9, 6.0, 2, 3]]  # Monday 9:00: 6 leads a week, Erlang C 2, the simulation 3
    assert row.plan["share"] == pytest.approx(2 / 6)
    assert staffing_snapshots_refresh() == [team.pk] and StaffingSnapshot.objects.count() == 1  # twice: one row
    monkeypatch.setattr(page, "LIVE_LEADS", 24)
    StaffingSnapshot.objects.all().delete()
    assert staffing_snapshots_refresh() == [] and not StaffingSnapshot.objects.exists()


def test_a_changed_roster_is_estimated_at_once_and_recomputed_in_the_background(big):
    from leadflow.models import Shift

    team, people, shift = big
    first = planner_page(team=team, target=0.9, sla_minutes=15, roster=roster_of(team))
    assert first["plan"].cells[(0, 9)].share == pytest.approx(2 / 6)
    Shift.objects.create(team=team, user=people["qlead"], weekday=0, starts_at=shift.starts_at, ends_at=shift.ends_at)
    second = planner_page(team=team, target=0.9, sla_minutes=15, roster=roster_of(team))
    # at once: the stored roster's figures moved by the change (its Mondays replayed), the recomputation
    # queued (run at once here: Celery is eager in the tests)
    assert second["snapshot_estimated"]
    assert second["plan"].cells[(0, 9)].share == pytest.approx(4 / 6)  # two on shift: 0, 0, 10, 10 min in time
    assert second["plan"].cells[(0, 9)].rostered == 2
    assert StaffingSnapshot.objects.get().roster_key == snapshot.roster_key(roster_of(team))
    third = planner_page(team=team, target=0.9, sla_minutes=15, roster=roster_of(team))
    assert not third["snapshot_estimated"] and third["plan"] == second["plan"]


def test_the_big_teams_page_reads_a_constant_number_of_queries(client, big, django_assert_num_queries):
    from django.urls import reverse

    from reports.tasks import staffing_snapshots_refresh
    from tests.factories import LeadFactory

    from . import staffing_data

    team, people, _shift = big
    client.force_login(people["director"])
    url = reverse("reports:staffing")
    client.get(url, {"team": team.pk})  # computes and stores the snapshot
    cache.clear()
    with django_assert_num_queries(15):  # the history kept with the snapshot + the snapshot: no lead read
        response = client.get(url, {"team": team.pk})
    assert response.context["snapshot"]
    assert "Большая команда: история четырёх недель" in response.content.decode()
    what_if = {"team": team.pk, "add_weekday": 0, "add_start": "09:00", "add_end": "10:00", "add_count": 2}
    with django_assert_num_queries(14):  # the history cached; the snapshot, no query per day replayed
        response = client.get(url, what_if)
    assert response.context["plan"].share == pytest.approx(1.0)
    assert [day.day for day in response.context["replayed_days"]] == [22, 15, 8, 1]
    assert 'data-testid="replayed-days"' in response.content.decode()
    for _n in range(20):
        LeadFactory(qualification_team=team, received_at=staffing_data.MONDAYS[0])
    cache.clear()
    with django_assert_num_queries(15):  # the snapshot's history is at most a day old: the same reads
        response = client.get(url, {"team": team.pk})
    assert response.context["plan"].leads == 24
    staffing_snapshots_refresh()  # the nightly task reads the leads again
    cache.clear()
    with django_assert_num_queries(15):
        response = client.get(url, {"team": team.pk})
    assert response.context["plan"].leads == 44


@pytest.fixture
def queued(monkeypatch):
    """The page's queued recomputations, recorded instead of run (Celery is eager in the tests)."""
    from reports import tasks

    calls = []
    for name in ("staffing_snapshots_refresh", "staffing_backtest_refresh"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "apply_async", lambda *, kwargs, name=name, **_options: calls.append((name, kwargs)))
    return calls


def _no_search(*_args, **_kwargs):
    raise AssertionError("the needs of the whole window searched on the request path")


def test_a_new_promise_reads_the_stored_replay_and_queues_its_needs(client, big, monkeypatch, queued):
    """Another X or SLA limit for a big team: answered from the snapshot made for the default promise (the
    roster replay's waits kept per minute give its shares at any limit, exactly), the needs Erlang C's
    until the promise's own snapshot, queued once, replaces them; no request searches the needs."""
    from django.urls import reverse

    from reports.staffing import model
    from reports.tasks import staffing_snapshots_refresh

    team, _people, _shift = big
    roster = roster_of(team)
    default = planner_page(team=team, target=0.9, sla_minutes=15, roster=roster)  # stores the snapshot
    assert not default["needs_pending"]
    history = default["history"]
    calendar = WorkCalendar.for_team(team)
    run = replay(history, calendar, breach_minutes=team.sla_breach_minutes)
    live = {}
    for target, sla in ((0.95, 10), (0.95, 5), (0.95, 20), (0.8, 15)):
        needs = requirements(history, run, target=target, sla_minutes=sla)
        live[target, sla] = (
            needs,
            staffing_plan(history, run, roster, needs=needs, sla_minutes=sla, breach_minutes=team.sla_breach_minutes),
        )
    with monkeypatch.context() as patched:  # from here no request may search the needs
        patched.setattr(snapshot, "requirements", _no_search)
        patched.setattr(model, "requirements", _no_search)
        for (target, sla), (needs, exact) in live.items():
            for _twice in range(2):
                page = planner_page(team=team, target=target, sla_minutes=sla, roster=roster)
                assert page["needs_pending"] and not page["snapshot_estimated"]
                assert page["plan"].share == pytest.approx(exact.share)
                assert page["plan"].share_breach == pytest.approx(exact.share_breach)
                cell, exact_cell = page["plan"].cells[(0, 9)], exact.cells[(0, 9)]
                assert (cell.share, cell.share_breach) == pytest.approx((exact_cell.share, exact_cell.share_breach))
                assert cell.missed(target) == exact_cell.missed(target)  # the red/green: exact
                assert cell.required == cell.erlang == needs[(0, 9)][1]  # Erlang C's, marked pending
                hours = planner_tables({**page, "what_if": False})[0]
                assert [(row["required"], row["short"]) for row in hours.rows] == [(None, None)]  # not exported
        # 1 qualifier, 6 leads at 09:00, 10 min each: called at 0, 10, 20… → 1/6 within 5, 2/6 within 10, 3/6 within 20
        assert live[(0.95, 5)][1].share == pytest.approx(1 / 6) and live[(0.95, 20)][1].share == pytest.approx(3 / 6)
        assert queued == [
            ("staffing_snapshots_refresh", {"team_id": team.pk, "target_percent": percent, "sla_minutes": sla})
            for percent, sla in ((95, 10), (95, 5), (95, 20), (80, 15))
        ]  # each promise once, however often asked
        # a what-if with the new promise: the days it changes replayed from the re-read days, no search
        shifts = what_if_roster(roster, add=ShiftSpec(weekday=0, start=9 * 60, end=10 * 60), add_count=1)
        what_if = planner_page(team=team, target=0.95, sla_minutes=10, roster=roster, what_if=shifts)
        assert what_if["plan"].cells[(0, 9)].share == pytest.approx(4 / 6)  # two on shift: 0, 0, 10, 10 within 10
        client.force_login(_people["director"])
        response = client.get(reverse("reports:staffing"), {"team": team.pk, "target": 95, "sla": 10})
        content = response.content.decode()
        assert 'data-testid="needs-pending"' in content and "считается (в очереди)" in content
        assert "1/≈" in content and "нужно ≈" in content  # the cell and the missed hour: Erlang C's, marked
    staffing_snapshots_refresh(team_id=team.pk, target_percent=95, sla_minutes=10)  # what the page queued
    done = planner_page(team=team, target=0.95, sla_minutes=10, roster=roster)
    assert not done["needs_pending"]
    assert done["plan"] == live[(0.95, 10)][1]
    # the nightly task reads the leads again for the default promise: that promise's row, older, is not
    # searched again in a request either (the page's history is the newest snapshot's)
    from tests.factories import LeadFactory

    from . import staffing_data

    for _n in range(20):
        LeadFactory(qualification_team=team, received_at=staffing_data.MONDAYS[0])
    with time_machine.travel(staffing_data.TODAY + timedelta(hours=15), tick=False):  # the night after
        staffing_snapshots_refresh()
        cache.clear()
        with monkeypatch.context() as patched:
            patched.setattr(snapshot, "requirements", _no_search)
            later = planner_page(team=team, target=0.95, sla_minutes=10, roster=roster)
    assert later["needs_pending"] and later["plan"].leads == 44


def test_a_new_promise_after_a_roster_change_is_estimated_and_not_searched(big, monkeypatch, queued):
    from leadflow.models import Shift

    team, people, shift = big
    planner_page(team=team, target=0.9, sla_minutes=15, roster=roster_of(team))
    Shift.objects.create(team=team, user=people["qlead"], weekday=0, starts_at=shift.starts_at, ends_at=shift.ends_at)
    monkeypatch.setattr(snapshot, "requirements", _no_search)
    page = planner_page(team=team, target=0.95, sla_minutes=10, roster=roster_of(team))
    assert page["needs_pending"] and page["snapshot_estimated"]
    assert page["plan"].cells[(0, 9)].share == pytest.approx(4 / 6)
    assert page["plan"].cells[(0, 9)].rostered == 2
    assert len(queued) == 1


def test_a_big_teams_backtest_is_read_from_the_nightly_task(client, big, monkeypatch, queued):
    """The backtest of a big team is computed by the nightly task (for the month and the roster) and read
    by the page; after a roster change it is queued once and the page says so; small teams stay live."""
    from django.urls import reverse

    from leadflow.models import Shift
    from reports.staffing import page
    from reports.tasks import staffing_snapshots_refresh

    team, people, shift = big
    client.force_login(people["director"])
    url = reverse("reports:staffing-backtest")
    live = client.get(url, {"team": team.pk}).context  # no snapshot yet: computed in the request
    assert [row["predicted"] for row in live["rows"]] == pytest.approx([2 / 6] * 4)
    assert staffing_snapshots_refresh() == [team.pk]  # the snapshot and the backtest
    backtest_rows = page.backtest_rows
    monkeypatch.setattr(page, "backtest_rows", _no_search)  # neither the replay nor the speed selector
    response = client.get(url, {"team": team.pk})
    assert response.context["rows"] == live["rows"] and not response.context["pending"]
    Shift.objects.create(team=team, user=people["qlead"], weekday=0, starts_at=shift.starts_at, ends_at=shift.ends_at)
    for _twice in range(2):
        response = client.get(url, {"team": team.pk})
        assert response.context["pending"] and not response.context["rows"]
        assert "Большая команда: проверка по истории" in response.content.decode()
    assert queued == [("staffing_backtest_refresh", {"team_id": team.pk})]
    monkeypatch.setattr(page, "backtest_rows", backtest_rows)
    from reports.tasks import staffing_backtest_refresh

    staffing_backtest_refresh(team.pk)
    response = client.get(url, {"team": team.pk})
    assert [row["predicted"] for row in response.context["rows"]] == pytest.approx([4 / 6] * 4)
