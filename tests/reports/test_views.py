"""Dashboards over HTTP: who may open what, what each role sees, exports, constant query counts."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from leadflow import roles
from tests.factories import LeadFactory, TeamFactory, make_user

from . import dataset

pytestmark = pytest.mark.django_db

PAGES = ["funnel", "speed", "handoff", "disqualified", "sales", "economics", "pilot"]
MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}


def _client(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES + ["my"])
def test_director_opens_every_dashboard(client, data, page):
    response = _client(client, data["people"]["director"]).get(reverse(f"reports:{page}"), MARCH)
    assert response.status_code == 200
    assert b"chart-4.6.1.umd.min.js" in response.content


@pytest.mark.parametrize("role", ["q1", "r1"])
@pytest.mark.parametrize("page", PAGES)
def test_qualifiers_and_reps_get_403_on_team_dashboards(client, data, role, page):
    response = _client(client, data["people"][role]).get(reverse(f"reports:{page}"))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["q1", "r1"])
def test_everyone_has_my_stats(client, data, role):
    c = _client(client, data["people"][role])
    assert c.get(reverse("reports:index")).url == reverse("reports:my")
    assert c.get(reverse("reports:my")).status_code == 200


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("reports:funnel"))
    assert response.status_code == 302 and "/login/" in response.url


def test_qualification_lead_sees_only_own_team(client, data):
    other_team = TeamFactory(name="Квалификация Казань")
    stranger = make_user(roles.QUALIFIER, team=other_team, username="stranger", first_name="Чужой", last_name="Чужаков")
    LeadFactory(qualification_team=other_team, qualifier=stranger, received_at=dataset.at(3, 3, 10), region="Казань")
    c = _client(client, data["people"]["qlead"])
    response = c.get(reverse("reports:funnel"), {**MARCH, "group_by": "qualifier"})
    body = response.content.decode()
    assert "Анна Иванова" in body
    assert "Чужой Чужаков" not in body
    assert response.context["total"]["received"] == 10  # the Kazan lead is another team's
    director = _client(client, data["people"]["director"]).get(
        reverse("reports:funnel"), {**MARCH, "group_by": "qualifier"}
    )
    assert director.context["total"]["received"] == 11
    assert "Чужой Чужаков" in director.content.decode()


def test_sales_manager_sees_own_reps_and_feeding_qualifiers(client, data):
    c = _client(client, data["people"]["manager"])
    sales = c.get(reverse("reports:sales"), MARCH).content.decode()
    assert "Роман Сидоров" in sales and "Сергей Кузнецов" in sales
    handoff = c.get(reverse("reports:handoff"), MARCH).content.decode()
    assert "Анна Иванова" in handoff  # the qualification team hands off to the manager's team
    economics = c.get(reverse("reports:economics"), MARCH)
    people = {row["label"] for row in economics.context["tables"][2].rows}
    assert people == {"Роман Сидоров", "Сергей Кузнецов", "Мария Продажина"}  # no qualifier's pay


def test_qualification_lead_does_not_see_the_reps_pay(client, data):
    response = _client(client, data["people"]["qlead"]).get(reverse("reports:economics"), MARCH)
    people = {row["label"] for row in response.context["tables"][2].rows}
    assert people == {"Анна Иванова", "Борис Петров", "Ольга Лидова"}


def test_csv_export_reads_back_and_neutralises_formulas(client, data):
    data["people"]["q2"].first_name = '=HYPERLINK("http://x")'
    data["people"]["q2"].save()
    response = _client(client, data["people"]["director"]).get(
        reverse("reports:funnel"),
        {**MARCH, "group_by": "qualifier", "export": "csv", "table": "by-group"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="funnel-by-group.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert (
        header[:3] == ["Qualifier", "Received", "Called"]
        or header[:3] == ["Квалификатор", "Получено", "Дозвон"]
        or len(header) == 13
    )
    by_name = {row[0]: row for row in body}
    assert by_name["Анна Иванова"][1:8] == ["4", "4", "3", "3", "3", "3", "3"]
    assert by_name['\'=HYPERLINK("http://x") Петров'][1] == "5"  # a formula becomes text
    assert body[-1][1] == "10"  # the total row


def test_xlsx_export_reads_back(client, data):
    response = _client(client, data["people"]["director"]).get(
        reverse("reports:economics"), {**MARCH, "export": "xlsx", "table": "statements"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    totals = {row[1]: row[14] for row in rows[1:]}  # after the "adjustments for paid months" column
    assert totals["Анна Иванова"] == 41000  # 35 000 + 9 000 − 3 000
    assert totals["Роман Сидоров"] == 111000  # 45 000 + 6 % × 1 100 000
    assert rows[1][0] == "2025-03"
    assert sheet.cell(row=2, column=16).number_format == "0.0%"  # bonus share of pay
    assert rows[0][14] == "Total"


def test_unknown_export_table_is_404(client, data):
    response = _client(client, data["people"]["director"]).get(
        reverse("reports:funnel"), {"export": "csv", "table": "nope"}
    )
    assert response.status_code == 404


def test_my_stats_shows_own_bonus_so_far(client, data, frozen_now):
    import time_machine

    with time_machine.travel(dataset.at(3, 20, 18), tick=False):
        response = _client(client, data["people"]["q1"]).get(reverse("reports:my"))
    own = response.context["own"]
    # March up to the 20th: L1 L2 L10 won → 9 000 earned − 3 000 clawed back = 6 000
    assert own["statement"]["bonus"] == 6000
    assert own["month"]["handoff_won"] == 3
    assert own["day"]["handoff_won"] == 1  # L10 was won on 20 March
    assert "6 000" in response.content.decode().replace("\xa0", " ")
    assert response.context["tables"] == []  # a qualifier sees only their own figures


def test_manager_my_stats_lists_the_team(client, data):
    import time_machine

    with time_machine.travel(dataset.at(3, 20, 18), tick=False):
        response = _client(client, data["people"]["manager"]).get(reverse("reports:my"))
    rows = {row["label"]: row for row in response.context["tables"][0].rows}
    assert set(rows) == {"Роман Сидоров", "Сергей Кузнецов", "Мария Продажина"}
    assert rows["Роман Сидоров"]["won"] == 3
    assert rows["Роман Сидоров"]["bonus"] == 66000


@pytest.mark.parametrize("page", PAGES + ["my", "leads"])
def test_query_count_does_not_grow_with_data(client, data, django_assert_max_num_queries, page):
    """The same number of queries with 12 leads and with 60 more spread over people and sources."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = _client(client, data["people"]["director"])
    url = reverse(f"reports:{page}")
    c.get(url, MARCH)  # the first visit with a new period remembers it in the session (one write)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url, MARCH).status_code == 200
    extra = [make_user(roles.QUALIFIER, username=f"extra{i}") for i in range(5)]
    for i in range(60):
        LeadFactory(received_at=dataset.at(3, 1 + i % 28, 10 + i % 8), qualifier=extra[i % 5], region=f"R{i % 7}")
    with CaptureQueriesContext(connection) as big:
        assert c.get(url, MARCH).status_code == 200
    assert len(big) == len(small)
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        c.get(url, MARCH)


# session + user + roles + the two-factor gate (leadflow/two_factor/selectors.py) + nav bell + form choices
# (teams, people, sources[, criteria]) + the page's own aggregate queries; see each selector's docstring
# for its count. "my": one grouped query per credited person field (holder, first caller, the one who
# qualified, rep). "leads": the one query of the leads with their source and people joined. Pay statements
# ("economics", "my" per statement) read the paid months, and the deal corrections once a month is paid.
MAX_QUERIES = {
    "funnel": 14,  # + the hand-off reconciliation (2) and the revenue by deal date
    "speed": 14,  # + the calls logged by hand per caller and their names
    "handoff": 10,
    "disqualified": 12,  # one grouped pass + the names of people, reasons, sources
    "sales": 14,  # + the cohort revenue; reps and lost reasons in one pass, then their names (2 small queries)
    "economics": 17,  # the wins in one pass, the clawbacks from the upheld disputes, the pairs and their names
    "pilot": 6,
    "my": 21,
    "leads": 9,
}


@pytest.mark.parametrize("page", ["funnel", "speed"])
def test_split_by_qualifier_query_count_does_not_grow_with_people(client, data, page):
    """Split by qualifier, the rows are named in one query, however many people have rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = _client(client, data["people"]["director"])
    url, params = reverse(f"reports:{page}"), {**MARCH, "group_by": "qualifier"}
    c.get(url, params)  # remembers the period in the session
    with CaptureQueriesContext(connection) as small:
        assert c.get(url, params).status_code == 200
    extra = [make_user(roles.QUALIFIER, username=f"extra{i}") for i in range(5)]
    for i in range(30):
        LeadFactory(
            received_at=dataset.at(3, 1 + i % 28, 10), qualifier=extra[i % 5], first_called_by=extra[(i + 1) % 5]
        )
    with CaptureQueriesContext(connection) as big:
        response = c.get(url, params)
    assert len(big) == len(small)
    labels = {row["label"] for table in response.context["tables"] for row in table.rows if "label" in row}
    assert {user.get_full_name() for user in extra} <= labels
