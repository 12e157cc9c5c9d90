"""The planner for a big team (reports.staffing.snapshot, docs/staffing.md "At 1,000,000 leads"): the
snapshot holds exactly what the live replay computes, and the what-if replayed on the days it changes
stays within WHAT_IF_TOLERANCE of the what-if replayed over the whole window, on the demo's data."""

from datetime import date

import pytest
import time_machine
from django.core.cache import cache

from leadflow.models import Team
from leadflow.workhours import WorkCalendar
from reports.models import StaffingSnapshot
from reports.staffing import history as team_history
from reports.staffing import snapshot
from reports.staffing.model import ShiftSpec, replay, requirements, staffing_plan
from reports.staffing.page import planner_page, roster_of, what_if_roster

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
