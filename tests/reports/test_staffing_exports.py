"""The planner's and the backtest's tables as CSV and XLSX (issue 17 §1): the numbers of the page, for the
page's audience only, each download logged (reports.exports, ExportLog)."""

import csv
import io

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from leadflow import roles
from reports.models import ExportLog
from tests.factories import make_user, qualification_team

from . import staffing_data

pytestmark = pytest.mark.django_db
URL = reverse("reports:staffing")
BACKTEST = reverse("reports:staffing-backtest")
WHAT_IF = {"add_weekday": 0, "add_start": "09:00", "add_end": "10:00", "add_count": 2}


@pytest.fixture
def history():
    cache.clear()
    with time_machine.travel(staffing_data.TODAY, tick=False):
        yield staffing_data.build()


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_the_hours_table_is_the_heat_maps_numbers(client, history):
    team, people, _shift = history
    client.force_login(people["director"])
    response = client.get(URL, {"team": team.pk, "export": "csv", "table": "hours"})
    header, *rows = csv_rows(response)
    assert header[:7] == [
        "День",
        "Час",
        "Лидов в неделю",
        "Нужно (симуляция)",
        "Нужно (Erlang C)",
        "На смене",
        "На смене − нужно",
    ]
    assert rows == [["Пн", "09:00", "6.0", "3", "2", "1", "-2", "0.3333", "0.5"]]  # shares as fractions
    assert 'filename="staffing-hours.csv"' in response["Content-Disposition"]
    log = ExportLog.objects.get()
    assert (log.actor, log.what, log.fmt, log.rows) == (people["director"], "staffing/hours", "csv", 1)


def test_the_what_if_exports_beside_the_current_roster_as_xlsx(client, history):
    team, people, _shift = history
    client.force_login(people["qlead"])
    response = client.get(URL, {"team": team.pk, **WHAT_IF, "export": "xlsx", "table": "hours"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:9] == ["Пн", "09:00", 6, 3, 2, 3, 0, 1, 1]
    assert values[1][9:] == [1, pytest.approx(2 / 6, abs=1e-4)]  # the current roster: 1 on shift, 2 of 6 in time
    assert sheet["H2"].number_format == "0.0%"
    shares = client.get(URL, {"team": team.pk, **WHAT_IF, "export": "csv", "table": "shares"})
    assert csv_rows(shares)[1:] == [
        ["Текущий график", "0.3333", "0.5"],
        ["С изменением", "1.0", "1.0"],
    ]


def test_the_backtest_exports_predicted_measured_and_the_error(client, history):
    team, people, _shift = history
    client.force_login(people["director"])
    response = client.get(BACKTEST, {"team": team.pk, "export": "csv", "table": "backtest"})
    header, *rows = csv_rows(response)
    assert len(header) == 5
    assert [row[:2] for row in rows] == [
        ["2025-09-01", "6"],
        ["2025-09-08", "6"],
        ["2025-09-15", "6"],
        ["2025-09-22", "6"],
    ]
    assert all(
        float(row[2]) == pytest.approx(2 / 6, abs=1e-4) and float(row[3]) == pytest.approx(2 / 6, abs=1e-4)
        for row in rows
    )
    assert all(float(row[4]) == pytest.approx(0) for row in rows)
    assert ExportLog.objects.get().what == "staffing-backtest/backtest"


@pytest.mark.parametrize("url", [URL, BACKTEST])
@pytest.mark.parametrize(
    ("role", "status"),
    [("qualifier", 403), ("rep", 403), ("manager", 403), ("qlead", 200), ("director", 200)],
)
def test_only_the_pages_audience_downloads(client, history, url, role, status):
    team, people, _shift = history
    client.force_login(people[role])
    table = "hours" if url == URL else "backtest"
    response = client.get(url, {"team": team.pk, "export": "csv", "table": table})
    assert response.status_code == status
    assert ExportLog.objects.count() == (1 if status == 200 else 0)


def test_a_lead_of_another_team_exports_their_own_team_only(client, history):
    team, _people, _shift = history
    other = make_user(roles.QUALIFICATION_LEAD, team=qualification_team(name="Другая"), username="other")
    client.force_login(other)
    response = client.get(URL, {"team": team.pk, "export": "csv", "table": "hours"})
    assert response.status_code == 200
    assert csv_rows(response)[1:] == []  # their own team, which has no leads: no hours at all


def test_an_unknown_table_is_a_404(client, history):
    team, people, _shift = history
    client.force_login(people["director"])
    assert client.get(URL, {"team": team.pk, "export": "csv", "table": "nope"}).status_code == 404
