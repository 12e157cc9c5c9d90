"""From every figure to the leads behind it (issue 13 §3): the drill-down list of a figure is the
same Q the figure is counted with, so count(list) == the figure, on every row of every covered page.

Covered: the funnel (cards, stages, the conversion matrix's counts, the split by team / qualifier /
source / region) and the disqualification page (cards, the reason / qualifier / source tables).
Generated from the pages' declared figures (funnel.FIGURE_FILTERS, disqualified.figure_filters and
the int columns of their tables): a new count without a drill-down fails here."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadflow import roles
from leadflow.models import LeadStatus, Reason
from reports import pages
from reports.selectors import disqualified, lead_base
from reports.selectors.disqualified import disqualified_dimension_value, disqualified_drilldown, figure_filters
from reports.selectors.funnel import DIMENSIONS, FIGURE_FILTERS, STAGE_KEYS, funnel, funnel_drilldown
from tests.factories import LeadFactory, TeamFactory, make_user

from . import dataset

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}
GROUPINGS = list(DIMENSIONS)
LINK = re.compile(r'<a href="([^"]+)" data-testid="drill" data-figure="([^"]+)">([^<]+)</a>')
COUNT = re.compile(r'data-testid="drill-count">(\d+)<')


@pytest.fixture
def mixed(data):
    """The hand-computed data set plus a second team in another region and an untaken lead with no
    region, so every split has several rows, among them the rows of no one / no region."""
    kazan = TeamFactory(name="Квалификация Казань")
    stranger = make_user(roles.QUALIFIER, team=kazan, username="kazan_q", first_name="Олег", last_name="Казанцев")
    LeadFactory(
        qualification_team=kazan,
        qualifier=stranger,
        first_called_by=stranger,
        first_call_at=dataset.at(3, 4, 10, 5),
        received_at=dataset.at(3, 4, 10),
        region="Казань",
    )
    LeadFactory(received_at=dataset.at(3, 5, 10), region="")
    # received in February, disqualified in March by no one known, for another reason; and one with no reason
    other = Reason.objects.filter(kind=Reason.Kind.DISQUALIFY).exclude(code="modular").first()
    for received, why in ((dataset.at(2, 20, 10), other), (dataset.at(3, 6, 10), None)):
        LeadFactory(
            received_at=received,
            status=LeadStatus.DISQUALIFIED,
            disqualify_reason=why,
            disqualified_at=dataset.at(3, 7, 12),
            closed_at=dataset.at(3, 7, 12),
        )
    return data


def test_every_stage_of_the_funnel_is_a_figure_with_a_drilldown():
    assert sorted(FIGURE_FILTERS) == sorted(f"funnel.{key}" for key in STAGE_KEYS)


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_the_list_of_every_figure_of_every_row_counts_as_the_figure(mixed, march, everyone, group_by):
    leads = lead_base(report_filter=march, scope=everyone)
    result = funnel(leads=leads, group_by=group_by)
    assert len(result["rows"]) >= 2, "the data set splits into several rows"
    checked = 0
    for figure in FIGURE_FILTERS:
        stage = figure.split(".", 1)[1]
        assert funnel_drilldown(figure=figure, leads=leads).count() == result["total"][stage], figure
        for row in result["rows"]:
            dim = pages.funnel_dimension_value(row, group_by)
            listed = funnel_drilldown(figure=figure, leads=leads, group_by=group_by, dim=dim).count()
            assert listed == row[stage], (figure, row["label"])
            checked += 1
    assert checked == len(FIGURE_FILTERS) * len(result["rows"])


@pytest.mark.parametrize(
    "table, group_by",
    [("reasons", "reason"), ("people", "qualifier"), ("sources", "source")],
)
def test_the_list_of_every_disqualification_figure_of_every_row_counts_as_the_figure(
    mixed, march, everyone, table, group_by
):
    result = disqualified(report_filter=march, scope=everyone)
    assert len(result[table]) >= 2, "the data set splits into several rows"
    for figure in figure_filters(march.period):
        key = figure.split(".", 1)[1]
        total = disqualified_drilldown(figure=figure, report_filter=march, scope=everyone).count()
        assert total == result["total"][key], figure
        if table != "sources" and key == "received":
            continue  # the reason and qualifier tables count disqualified leads only and show no "received"
        for row in result[table]:
            dim = disqualified_dimension_value(row, group_by)
            listed = disqualified_drilldown(
                figure=figure, report_filter=march, scope=everyone, group_by=group_by, dim=dim
            ).count()
            assert listed == row[key], (figure, row["label"])


def _builder(name, params):
    if name == "funnel":
        return pages.funnel_page(
            report_filter=dataset_filter(),
            scope=pages.selectors.Scope(),
            group_by=params["group_by"],
            group_choices=pages.FUNNEL_GROUPS,
        )
    return pages.disqualified_page(report_filter=dataset_filter(), scope=pages.selectors.Scope())


# (page, its query, the cards that link)
COVERED = [("funnel", {"group_by": group_by}, 4) for group_by in GROUPINGS] + [("disqualified", {}, 2)]


@pytest.mark.parametrize("name, params, cards", COVERED)
def test_every_count_on_a_covered_page_links_to_as_many_leads(client, mixed, name, params, cards):
    """Over HTTP as the director: every int cell and card is a link, and the list it opens says the same number."""
    client.force_login(mixed["people"]["director"])
    body = client.get(reverse(f"reports:{name}"), {**MARCH, **params}).content.decode()
    links = LINK.findall(body)
    page = _builder(name, params)
    int_cells = sum(
        1
        for table in page["tables"]
        for row in table.all_rows()
        for column in table.columns
        if column.kind == "int" and row.get(column.key) is not None
    )
    assert len(links) == int_cells + cards
    for href, figure, shown in links:
        response = client.get(html.unescape(href))
        assert response.status_code == 200, href
        assert COUNT.findall(response.content.decode()) == [shown.strip()], (figure, href)


def dataset_filter():
    from datetime import date

    from reports.forms import local_period
    from reports.selectors import ReportFilter

    return ReportFilter(period=local_period(date(2025, 3, 1), date(2025, 3, 31)))


def test_the_drilldown_shows_the_figure_its_definition_and_a_way_back(client, data):
    client.force_login(data["people"]["director"])
    q1 = data["people"]["q1"]
    response = client.get(
        reverse("reports:leads"), {**MARCH, "figure": "funnel.won", "group_by": "qualifier", "dim": q1.pk}
    )
    body = response.content.decode()
    assert "Выиграно (из поступивших в периоде)" in body
    assert "Квалификатор: Анна Иванова" in body
    assert COUNT.findall(body) == ["3"]  # L1, L2 and L10 (q1 qualified it again after the upheld dispute)
    assert 'data-testid="drill-back"' in body and "/reports/funnel/?preset=custom" in body


def test_the_drilldown_export_has_the_same_leads(client, data):
    client.force_login(data["people"]["director"])
    params = {**MARCH, "figure": "funnel.handed_off"}
    shown = COUNT.findall(client.get(reverse("reports:leads"), params).content.decode())
    response = client.get(reverse("reports:leads"), {**params, "export": "csv", "table": "leads"})
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == int(shown[0])


def test_an_unknown_figure_is_404(client, data):
    client.force_login(data["people"]["director"])
    for params in (
        {"figure": "funnel.nonsense"},
        {"figure": "speed.leads"},
        {"figure": "funnel.won", "group_by": "x", "dim": "1"},
    ):
        assert client.get(reverse("reports:leads"), {**MARCH, **params}).status_code == 404


def test_a_qualification_lead_drilling_into_another_team_sees_nothing_of_it(client, data):
    other_team = TeamFactory(name="Квалификация Казань")
    stranger = make_user(roles.QUALIFIER, team=other_team, username="stranger", first_name="Чужой", last_name="Чужаков")
    LeadFactory(
        qualification_team=other_team, qualifier=stranger, name="Клиент Казанский", received_at=dataset.at(3, 3, 10)
    )
    client.force_login(data["people"]["qlead"])
    for group_by, dim in (("team", other_team.pk), ("qualifier", stranger.pk)):
        body = client.get(
            reverse("reports:leads"), {**MARCH, "figure": "funnel.received", "group_by": group_by, "dim": dim}
        ).content.decode()
        assert COUNT.findall(body) == ["0"]
        assert "Клиент Казанский" not in body
    body = client.get(reverse("reports:leads"), {**MARCH, "figure": "funnel.received"}).content.decode()
    assert "Клиент Казанский" not in body


def _queries(client, params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:leads"), params).status_code == 200
    return len(queries)


def test_the_drilldown_page_runs_a_constant_number_of_queries(client, data):
    client.force_login(data["people"]["director"])
    q1 = data["people"]["q1"]
    params = {**MARCH, "figure": "funnel.received", "group_by": "qualifier", "dim": q1.pk}
    client.get(reverse("reports:leads"), params)  # the period goes into the session once
    before = _queries(client, params)
    assert before == 10  # session, user, roles, bell, the form's choices, the leads, the row's name
    for day in range(1, 28):
        LeadFactory(
            qualification_team=q1.profile.team, qualifier=q1, first_called_by=q1, received_at=dataset.at(3, day, 11)
        )
    assert _queries(client, params) == before
    assert _queries(client, {**MARCH, "figure": "funnel.received"}) <= before


def test_a_long_list_is_paginated_and_the_export_has_it_all(client, data):
    q1 = data["people"]["q1"]
    for minute in range(101):
        LeadFactory(
            qualification_team=q1.profile.team, received_at=dataset.at(3, 22, 10, 0) + timedelta(minutes=minute)
        )
    client.force_login(data["people"]["director"])
    params = {**MARCH, "figure": "funnel.received"}
    first = client.get(reverse("reports:leads"), params).content.decode()
    assert COUNT.findall(first) == ["111"]  # the data set's 10 March leads + 101
    assert first.count("<tr>") - 1 == 100  # the header row + 100 leads
    assert "page=2" in first
    second = client.get(reverse("reports:leads"), {**params, "page": 2}).content.decode()
    assert second.count("<tr>") - 1 == 11
    export = client.get(reverse("reports:leads"), {**params, "page": 2, "export": "csv", "table": "leads"})
    assert len(export.content.decode("utf-8-sig").strip().splitlines()) == 1 + 111
