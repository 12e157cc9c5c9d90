"""The demo makes the criteria report alive: at least one answer is flagged (issue 17 §2)."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from reports.forms import local_period, preset_dates
from reports.selectors import ReportFilter, Scope
from reports.selectors.criteria import criteria_outcomes

NOW = datetime(2026, 3, 11, 14, 30, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.mark.django_db
def test_the_demo_shows_a_flag_on_the_criteria_report():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=StringIO())
        first, last = preset_dates("last_30", NOW.date())
        result = criteria_outcomes(report_filter=ReportFilter(period=local_period(first, last)), scope=Scope())
    flagged = [(g["key"], row["label"]) for g in result["groups"] for row in g["rows"] if row["flagged"]]
    assert ("q:timeline", "от 6 до 12\u00a0мес.") in flagged, flagged
