"""SLA deadlines in working hours: a table of the cases the callback promise depends on."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.services import sla_deadlines
from leadflow.workhours import WorkCalendar, is_public_holiday
from tests.factories import TeamFactory, set_hours

MSK = ZoneInfo("Europe/Moscow")
WEEKDAYS_9_18 = dict.fromkeys(range(5), ("09:00", "18:00"))
DAILY_9_21 = dict.fromkeys(range(7), ("09:00", "21:00"))


def msk(text):
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


# (case, team time zone, hours, skip holidays, received (Moscow), warning due (Moscow), breach due (Moscow))
CASES = [
    ("mid-day", "Europe/Moscow", WEEKDAYS_9_18, True, "2026-11-25 12:00", "2026-11-25 12:15", "2026-11-25 12:20"),
    (
        "warning before closing, breach next morning",
        "Europe/Moscow",
        WEEKDAYS_9_18,
        True,
        "2026-11-25 17:50",
        "2026-11-26 09:05",
        "2026-11-26 09:10",
    ),
    (
        "both deadlines fit, breach exactly at closing",
        "Europe/Moscow",
        WEEKDAYS_9_18,
        True,
        "2026-11-25 17:40",
        "2026-11-25 17:55",
        "2026-11-25 18:00",
    ),
    ("overnight 23:40", "Europe/Moscow", DAILY_9_21, True, "2026-11-25 23:40", "2026-11-26 09:15", "2026-11-26 09:20"),
    (
        "early morning before opening",
        "Europe/Moscow",
        DAILY_9_21,
        True,
        "2026-11-26 06:10",
        "2026-11-26 09:15",
        "2026-11-26 09:20",
    ),
    (
        "Friday evening to Monday",
        "Europe/Moscow",
        WEEKDAYS_9_18,
        True,
        "2026-11-27 17:55",
        "2026-11-30 09:10",
        "2026-11-30 09:15",
    ),
    ("weekend", "Europe/Moscow", WEEKDAYS_9_18, True, "2026-11-28 10:00", "2026-11-30 09:15", "2026-11-30 09:20"),
    (
        "public holiday (Unity Day)",
        "Europe/Moscow",
        DAILY_9_21,
        True,
        "2026-11-04 10:00",
        "2026-11-05 09:15",
        "2026-11-05 09:20",
    ),
    (
        "public holiday, team works holidays",
        "Europe/Moscow",
        DAILY_9_21,
        False,
        "2026-11-04 10:00",
        "2026-11-04 10:15",
        "2026-11-04 10:20",
    ),
    (
        "New Year holidays",
        "Europe/Moscow",
        DAILY_9_21,
        True,
        "2026-01-01 12:00",
        "2026-01-10 09:15",
        "2026-01-10 09:20",
    ),
    (
        "Yekaterinburg team open (10:00 local)",
        "Asia/Yekaterinburg",
        WEEKDAYS_9_18,
        True,
        "2026-11-25 08:00",
        "2026-11-25 08:15",
        "2026-11-25 08:20",
    ),
    (
        "Yekaterinburg team closed (18:50 local)",
        "Asia/Yekaterinburg",
        WEEKDAYS_9_18,
        True,
        "2026-11-25 16:50",
        "2026-11-26 07:15",
        "2026-11-26 07:20",
    ),
    (
        "Yekaterinburg opens before Moscow does",
        "Asia/Yekaterinburg",
        WEEKDAYS_9_18,
        True,
        "2026-11-25 06:30",
        "2026-11-25 07:15",
        "2026-11-25 07:20",
    ),
    ("24/7 team (no hours set)", "Europe/Moscow", {}, True, "2026-11-28 03:00", "2026-11-28 03:15", "2026-11-28 03:20"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "hours", "skip_holidays", "received", "warn", "breach"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_sla_deadlines_in_working_hours(time_zone, hours, skip_holidays, received, warn, breach):
    team = TeamFactory(
        time_zone=time_zone, skip_public_holidays=skip_holidays, sla_warn_minutes=15, sla_breach_minutes=20
    )
    set_hours(team, hours)
    warn_at, breach_at = sla_deadlines(team=team, received_at=msk(received))
    assert (warn_at, breach_at) == (msk(warn), msk(breach))


@pytest.mark.django_db
def test_policy_change_applies_to_new_leads_only():
    team = TeamFactory(sla_warn_minutes=15, sla_breach_minutes=20)
    set_hours(team, WEEKDAYS_9_18)
    before = sla_deadlines(team=team, received_at=msk("2026-11-25 12:00"))
    team.sla_warn_minutes, team.sla_breach_minutes = 30, 45
    team.save()
    after = sla_deadlines(team=team, received_at=msk("2026-11-25 12:00"))
    assert before == (msk("2026-11-25 12:15"), msk("2026-11-25 12:20"))
    assert after == (msk("2026-11-25 12:30"), msk("2026-11-25 12:45"))
    # a longer policy spills over closing into the next working day
    assert sla_deadlines(team=team, received_at=msk("2026-11-25 17:40")) == (
        msk("2026-11-26 09:10"),
        msk("2026-11-26 09:25"),
    )


def test_holidays_come_from_the_maintained_calendar():
    assert is_public_holiday(datetime(2026, 11, 4).date())
    assert is_public_holiday(datetime(2026, 6, 12).date())
    assert not is_public_holiday(datetime(2026, 11, 25).date())


def _calendar(time_zone="Europe/Moscow", hours=WEEKDAYS_9_18, skip_holidays=True):
    from datetime import time

    windows = {day: (time.fromisoformat(o), time.fromisoformat(c)) for day, (o, c) in hours.items()}
    return WorkCalendar(time_zone=time_zone, windows=windows, skip_holidays=skip_holidays)


@pytest.mark.parametrize(
    ("moment", "is_open", "next_opening"),
    [
        ("2026-11-25 12:00", True, "2026-11-25 12:00"),
        ("2026-11-25 08:59", False, "2026-11-25 09:00"),
        ("2026-11-25 18:00", False, "2026-11-26 09:00"),
        ("2026-11-28 12:00", False, "2026-11-30 09:00"),
        ("2026-11-04 12:00", False, "2026-11-05 09:00"),
    ],
)
def test_is_open_and_next_opening(moment, is_open, next_opening):
    calendar = _calendar()
    assert calendar.is_open_at(msk(moment)) is is_open
    assert calendar.next_opening(msk(moment)) == msk(next_opening)


def test_working_minutes_between_skips_nights_and_weekends():
    calendar = _calendar()
    assert calendar.working_minutes_between(msk("2026-11-25 17:50"), msk("2026-11-26 09:10")) == 20
    assert calendar.working_minutes_between(msk("2026-11-27 17:00"), msk("2026-11-30 10:00")) == 120
    assert calendar.working_minutes_between(msk("2026-11-26 10:00"), msk("2026-11-25 10:00")) == 0


def test_a_team_open_on_wednesdays_only_skips_a_holiday_wednesday():
    wednesdays = _calendar(hours={2: ("09:00", "18:00")})
    assert wednesdays.add_working_minutes(msk("2026-11-04 10:00"), 15) == msk("2026-11-11 09:15")


def test_a_calendar_reused_for_many_days_answers_as_a_fresh_one():
    """A calendar keeps the windows of the days it was asked about (intake asks the same few days lead
    after lead), up to MEMO_DAYS of them: answers never depend on what it was asked before."""
    from datetime import UTC, time, timedelta

    from leadflow.workhours import MEMO_DAYS

    windows = {weekday: (time(9), time(18)) for weekday in range(5)}
    reused = WorkCalendar(time_zone="Europe/Moscow", windows=windows)
    start = datetime(2026, 1, 1, 5, 30, tzinfo=UTC)
    for step in range(0, (MEMO_DAYS + 50) * 24, 7):  # more days than it keeps, hour by hour
        moment = start + timedelta(hours=step)
        fresh = WorkCalendar(time_zone="Europe/Moscow", windows=windows)
        assert reused.add_working_minutes(moment, 95) == fresh.add_working_minutes(moment, 95)
        assert reused.is_open_at(moment) == fresh.is_open_at(moment)
    assert 0 < len(reused._by_day) <= MEMO_DAYS
