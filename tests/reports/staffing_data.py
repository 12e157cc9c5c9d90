"""A hand-built team history for the planner: Mondays 09:00–10:00 only, four Mondays of September 2025,
six leads each at 09:00 sharp, called one after the other by the one qualifier on shift (10 minutes a
call), so 2 of 6 are called within 15 minutes, 3 of 6 within 20 (see test_staffing_model.py)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadflow import roles
from leadflow.models import Shift
from qualification.models import CallAttempt
from tests.factories import LeadFactory, make_user, qualification_team, sales_team, set_hours

MSK = ZoneInfo("Europe/Moscow")
MONDAYS = [datetime(2025, 9, 1 + 7 * week, 9, 0, tzinfo=MSK) for week in range(4)]
TODAY = datetime(2025, 10, 1, 12, 0, tzinfo=MSK)  # a Wednesday: the history is 1–28 September


def mondays_before(today):
    """The four Mondays 09:00 of the planner's history window (the four weeks before `today`'s week)."""
    monday = today.date() - timedelta(days=today.weekday())
    return [datetime.combine(monday - timedelta(days=7 * week), time(9), MSK) for week in (4, 3, 2, 1)]


def build(mondays=MONDAYS):
    team = qualification_team(skip_public_holidays=False)
    set_hours(team, {0: ("09:00", "10:00")})
    people = {
        "qualifier": make_user(roles.QUALIFIER, team=team, username="q1"),
        "qlead": make_user(roles.QUALIFICATION_LEAD, team=team, username="qlead"),
        "director": make_user(roles.DIRECTOR, team=None, username="boss"),
        "rep": make_user(roles.SALES_REP, team=sales_team(), username="rep"),
        "manager": make_user(roles.SALES_MANAGER, team=sales_team(), username="manager"),
    }
    for monday in mondays:
        for n in range(6):
            called = monday + timedelta(minutes=10 * n)
            lead = LeadFactory(
                qualification_team=team,
                received_at=monday,
                sla_warn_at=monday + timedelta(minutes=15),
                sla_breach_at=monday + timedelta(minutes=20),
                claimed_at=called,
                first_call_at=called,
                qualifier=people["qualifier"],
                first_called_by=people["qualifier"],
                status="qualifying",
            )
            CallAttempt.objects.create(
                lead=lead,
                actor=people["qualifier"],
                outcome=CallAttempt.Outcome.REACHED,
                called_at=called,
                duration_seconds=600,
            )
    shift = Shift.objects.create(team=team, user=people["qualifier"], weekday=0, starts_at=time(9), ends_at=time(10))
    return team, people, shift
