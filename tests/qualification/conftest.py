"""The people most qualification tests start from, and the SLA tests' team, people and intake."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow import roles
from leadflow.services import lead_receive
from tests.factories import make_user, qualification_team, source

RECEIVED = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # a Wednesday; the team works 9–21 daily


@pytest.fixture
def qualifier():
    return make_user(roles.QUALIFIER, username="anna")


@pytest.fixture
def qlead():
    """The qualification team lead."""
    return make_user(roles.QUALIFICATION_LEAD, username="lida")


# --- the SLA tests (test_sla.py, test_sla_backlog.py) ---------------------------------------------


@pytest.fixture
def team():
    return qualification_team(sla_warn_minutes=15, sla_breach_minutes=20, reassign_on_breach=False)


@pytest.fixture
def people(team):
    team_lead = make_user(roles.QUALIFICATION_LEAD, username="tl")
    team.lead = team_lead
    team.save()
    return {
        "team_lead": team_lead,
        "anna": make_user(roles.QUALIFIER, username="anna"),
        "boris": make_user(roles.QUALIFIER, username="boris"),
    }


@pytest.fixture
def receive(django_capture_on_commit_callbacks):
    """Intake through the real service at a given moment, running the after-commit hooks."""
    counter = iter(range(10_000))

    def _receive(when=RECEIVED, **fields):
        phone = fields.pop("phone", f"+7912555{next(counter):04d}")
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            return lead_receive(source=source("website"), phone=phone, **fields).lead

    return _receive
