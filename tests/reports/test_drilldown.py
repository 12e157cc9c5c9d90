"""From every figure to the leads behind it (issue 13 §3): the drill-down list of a figure is the
same Q the figure is counted with, so count(list) == the figure, on every row of every page.

Generated from the pages' declared figures (reports.drilldown.REGISTRY and the columns of every
table): every count and share column must name its drill-down, every declared figure must be linked
from its page, and every link of every page (each grouping) must open a list of as many leads (or
events) as the number it carries. A new count without a drill-down fails here."""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leadflow import roles
from leadflow.models import LeadStatus, Reason
from qualification.models import Criterion, LeadAnswer
from reports import pages, rollup
from reports.drilldown import declared_figures
from reports.selectors import Scope, disqualified, handoff_quality, lead_base, speed
from reports.selectors.disqualified import disqualified_dimension_value, disqualified_drilldown, figure_filters
from reports.selectors.funnel import (
    DIMENSIONS,
    FIGURE_FILTERS,
    STAGE_KEYS,
    criterion_choices,
    funnel,
    funnel_drilldown,
)
from reports.selectors.handoff import handoff_drilldown
from reports.selectors.speed import figure_filters as speed_figure_filters
from reports.selectors.speed import speed_dimension_value, speed_drilldown
from sales.models import Dispute
from tests.factories import LeadFactory, TeamFactory, make_user

from . import dataset

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}
GROUPINGS = list(DIMENSIONS)
LINK = re.compile(
    r'<a href="([^"]+)" data-testid="drill" data-figure="([^"]+)" data-count="(\d+)"(?: title="[^"]*")?>([^<]*)</a>'
)
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


MARCH_31 = datetime(2025, 3, 31, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
PILOT = {"a_start": "2025-02-01", "a_end": "2025-02-28", "b_start": "2025-03-01", "b_end": "2025-03-31"}
# every page, every grouping: (page, its query)
PAGES = (
    [("funnel", {**MARCH, "group_by": group_by}) for group_by in [*GROUPINGS, "criterion"]]
    + [("speed", {**MARCH, "group_by": group_by}) for group_by in ("team", "qualifier", "source", "hour")]
    + [(name, MARCH) for name in ("handoff", "disqualified", "sales", "economics", "sources")]
    + [("pilot", {**MARCH, **PILOT}), ("my", {}), ("criteria", MARCH)]
)


@pytest.fixture
def everything(mixed):
    """`mixed` plus what only some pages count: a rejected dispute (sales), the answers to a checklist
    question (the funnel split by answer), and q1's lead now held by q2 (My stats)."""
    people, leads = mixed["people"], mixed["leads"]
    Dispute.objects.create(
        lead=leads["L4"], reason=Reason.objects.filter(kind=Reason.Kind.DISPUTE).first(), comment="—",
        raised_by=people["r2"], raised_at=dataset.at(3, 5, 10), qualifier=people["q2"], sales_rep=people["r2"],
        decision=Dispute.Decision.REJECTED, decided_at=dataset.at(3, 5, 12),
        counts_against=Dispute.CountsAgainst.SALES_REP, counts_against_user=people["r2"],
    )  # fmt: skip
    code, _question = criterion_choices()[0]
    criterion = Criterion.objects.filter(code=code).order_by("-checklist__version").first()
    values = criterion.options[:2] if criterion.kind == Criterion.Kind.CHOICE else [True, False]
    for key, value in (("L1", values[0]), ("L2", values[0]), ("L3", values[-1])):
        LeadAnswer.objects.create(
            lead=leads[key], criterion=criterion, checklist_version=criterion.checklist.version, value=value,
            passed=True,
        )  # fmt: skip
    mixed["criterion"] = f"criterion:{code}"
    return mixed


def _get(client, name, params, everything):
    if params.get("group_by") == "criterion":
        params = {**params, "group_by": everything["criterion"]}
    response = client.get(reverse(f"reports:{name}"), params)
    assert response.status_code == 200
    return response


def _number(text):
    return text.replace("\u00a0", "").replace(" ", "").strip()


def _tables(context):
    return [*context.get("tables", []), *context.get("own_tables", [])]


@pytest.mark.parametrize("name, params", PAGES)
def test_every_count_and_share_column_declares_its_drilldown(client, everything, name, params):
    client.force_login(everything["people"]["director"])
    with time_machine.travel(MARCH_31, tick=False):
        context = _get(client, name, params, everything).context
    declared = set(declared_figures())
    for table in _tables(context):
        for column in table.columns:
            if column.kind in ("int", "pct") and column.of_leads:
                assert column.link, (name, table.slug, column.key)
            if column.link and column.link != "@row":
                assert column.link in declared, (name, column.link)
        for row in table.all_rows():
            for column in table.columns:
                if column.link == "@row" and "figure" in row:
                    assert row["figure"] in declared, (name, row["figure"])


def _links(body):
    return [(html.unescape(href), figure, count, text) for href, figure, count, text in LINK.findall(body)]


@pytest.mark.parametrize("name, params", PAGES)
def test_every_link_of_every_page_lists_as_many_leads_as_it_shows(client, everything, name, params):
    """Over HTTP as the director: every count and share of every row and card is a link, and the list
    it opens counts as the figure (a count: the number shown; a share: its numerator)."""
    client.force_login(everything["people"]["director"])
    with time_machine.travel(MARCH_31, tick=False):
        _assert_every_link_lists_its_count(client, name, params, everything)


def _assert_every_link_lists_its_count(client, name, params, everything):
    response = _get(client, name, params, everything)
    body = response.content.decode()
    links = _links(body)
    linkable = sum(
        1
        for table in response.context["tables"]
        for row in table.all_rows()
        for column in table.columns
        if column.drill_figure(row) and row.get(column.key) is not None and column.drill_count(row) is not None
    )
    assert len(links) >= linkable > 0, name
    for href, figure, count, text in links:
        if text.strip() and _number(text).isdigit():
            assert _number(text) == count, (figure, href)  # a count shows the number its list has
        listed = COUNT.findall(client.get(href).content.decode())
        assert listed == [count], (figure, href)
    return response


# the pages that read the daily rollup for whole held months (reports.rollup.rollup_plan): the same check
# with the rollup built, months later (February and March are whole held months, both pilot cohorts mature)
LATER = datetime(2025, 9, 15, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
ROLLUP_PAGES = [(name, params) for name, params in PAGES if name in ("funnel", "speed", "pilot")]
ROLLUP_PAGES = [(name, params) for name, params in ROLLUP_PAGES if params.get("group_by") != "criterion"]


@pytest.mark.parametrize("name, params", ROLLUP_PAGES)
def test_every_link_of_a_page_read_from_the_rollup_lists_as_many_leads_as_it_shows(client, everything, name, params):
    with time_machine.travel(LATER, tick=False):
        client.force_login(everything["people"]["director"])
        rollup.rollup_rebuild(days=(LATER.date() - date(2025, 1, 1)).days)  # from before the first lead
        response = _assert_every_link_lists_its_count(client, name, params, everything)
        notes = [str(table.note) for table in response.context["tables"]]
        assert any(str(pages.ROLLUP_NOTE) in note for note in notes), "the page read the rollup"


def test_every_declared_figure_is_linked_from_its_page(client, everything):
    client.force_login(everything["people"]["director"])
    seen = set()
    with time_machine.travel(MARCH_31, tick=False):
        for name, params in PAGES:
            seen |= {
                figure
                for _href, figure, _count, _text in _links(_get(client, name, params, everything).content.decode())
            }
        for who in ("q1", "r1"):
            client.force_login(everything["people"][who])
            seen |= {figure for _h, figure, _c, _t in _links(client.get(reverse("reports:my")).content.decode())}
    assert seen == set(declared_figures())


@pytest.mark.parametrize("group_by", ["team", "qualifier", "source", "hour"])
def test_the_list_of_every_speed_figure_of_every_row_counts_as_the_figure(mixed, march, everyone, group_by):
    leads = lead_base(report_filter=march, scope=everyone)
    result = speed(leads=leads, group_by=group_by)
    assert len(result["rows"]) >= 2
    for figure in speed_figure_filters(timezone.now()):
        key = figure.split(".", 1)[1]
        assert speed_drilldown(figure=figure, leads=leads).count() == result["total"][key], figure
        for row in result["rows"]:
            dim = speed_dimension_value(row, group_by)
            assert speed_drilldown(figure=figure, leads=leads, group_by=group_by, dim=dim).count() == row[key]
        for row in result["trend"]:
            dim = speed_dimension_value(row, "week")
            assert speed_drilldown(figure=figure, leads=leads, group_by="week", dim=dim).count() == row[key]
    for (weekday, hour), cell in result["heatmap"].items():
        listed = speed_drilldown(figure="speed.leads", leads=leads, group_by="heat", dim=f"{weekday}-{hour}")
        assert listed.count() == cell["leads"]


def test_the_handoff_lists_have_one_line_per_event(mixed, march, everyone):
    """L10 was handed off, disputed (upheld, back to qualifying) and handed off again in March: two
    hand-offs of one lead, listed twice; the heading says how many leads are behind them."""
    result = handoff_quality(report_filter=march, scope=everyone)
    lines = handoff_drilldown(figure="handoff.handoffs", report_filter=march, scope=everyone)
    pks = sorted(lead.pk for lead in lines)
    assert len(pks) == result["team"]["handoffs"] == 7
    assert pks.count(mixed["leads"]["L10"].pk) == 2
    for row in result["rows"]:
        for figure, key in (("handoff.handoffs", "handoffs"), ("handoff.upheld", "upheld"), ("handoff.won", "won")):
            listed = handoff_drilldown(
                figure=figure, report_filter=march, scope=everyone, group_by="qualifier", dim=str(row["person_id"])
            )
            assert len(list(listed)) == row[key], (figure, row["label"])


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
        {"figure": "nonsense.leads"},
        {"figure": "funnel.won", "group_by": "x", "dim": "1"},
        {"figure": "handoff.won", "group_by": "qualifier", "dim": "abc"},
        {"figure": "economics.handoff_wins", "group_by": "statement", "dim": "1:1999-01"},
        {"figure": "speed.leads", "group_by": "heat", "dim": "x"},
        {"figure": "pilot.won", "group_by": "side", "dim": "c"},
        {"figure": "funnel.won", "dim": "1"},
        {"figure": "speed.leads", "group_by": "heat", "dim": "9-10"},
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


@pytest.mark.parametrize(
    "params",
    [
        {"figure": "handoff.handoffs"},
        {"figure": "speed.within_warn", "group_by": "hour", "dim": "10"},
        {"figure": "sales.won", "group_by": "rep", "dim": "@r1"},
        {"figure": "economics.won"},
        {"figure": "pilot.won", "group_by": "side", "dim": "b", **PILOT},
    ],
)
def test_the_export_of_every_pages_list_keeps_the_figure(client, data, params):
    """The export link of a drill-down list carries the figure: the file has the lines the list counts."""
    if params.get("dim") == "@r1":
        params = {**params, "dim": data["people"]["r1"].pk}
    client.force_login(data["people"]["director"])
    body = client.get(reverse("reports:leads"), {**MARCH, **params}).content.decode()
    shown = COUNT.findall(body)
    assert int(shown[0]) > 0
    export = re.search(r'href="\?([^"]*export=csv[^"]*)"', body).group(1)
    response = client.get(f"{reverse('reports:leads')}?{html.unescape(export)}")
    assert response.status_code == 200
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) - 1 == int(shown[0])


def test_an_event_list_runs_a_constant_number_of_queries(client, data):
    client.force_login(data["people"]["director"])
    q1 = data["people"]["q1"]
    params = {**MARCH, "figure": "handoff.handoffs", "group_by": "qualifier", "dim": q1.pk}
    client.get(reverse("reports:leads"), params)
    before = _queries(client, params)
    for day in range(1, 20):
        LeadFactory(
            qualification_team=q1.profile.team, qualified_by=q1, handed_off_at=dataset.at(3, day, 12),
            received_at=dataset.at(3, day, 11),
        )  # fmt: skip
    assert _queries(client, params) == before <= 10


def test_a_lead_changed_after_the_refresh_keeps_the_figure_its_list_and_raw_equal(client, everything):
    """Exact at every moment: L4 (March) is accepted by a bulk UPDATE after the rollup's last refresh and
    before the next: March is read raw (rollup.stale_months), February still from the rollup, and the
    funnel's figure, its drill-down list and the raw computation agree."""
    from reports.selectors import Period, ReportFilter
    from reports.selectors.funnel import funnel_drilldown

    with time_machine.travel(LATER, tick=False):
        rollup.rollup_rebuild(days=(LATER.date() - date(2025, 1, 1)).days)
    msk = ZoneInfo("Europe/Moscow")
    report_filter = ReportFilter(period=Period(datetime(2025, 2, 1, tzinfo=msk), datetime(2025, 4, 1, tzinfo=msk)))
    with time_machine.travel(LATER + timedelta(hours=1), tick=False):
        client.force_login(everything["people"]["director"])
        leads = lead_base(report_filter=report_filter, scope=Scope())
        before = funnel(leads=leads, group_by="team")["total"]["accepted"]
        lead = everything["leads"]["L4"]
        type(lead).objects.filter(pk=lead.pk).update(accepted_at=dataset.at(3, 6, 10), handoff_state="accepted")
        plan = rollup.funnel_plan(report_filter=report_filter, scope=Scope(), group_by="team")
        assert plan.stale == {date(2025, 3, 1)} and plan.first_month == date(2025, 2, 1)
        from_rollup = funnel(leads=leads, group_by="team", plan=plan)
        assert from_rollup["from_rollup"]
        raw = funnel(leads=leads, group_by="team")
        assert from_rollup["total"]["accepted"] == raw["total"]["accepted"] == before + 1
        assert funnel_drilldown(figure="funnel.accepted", leads=leads).count() == before + 1
        params = {"preset": "custom", "start": "2025-02-01", "end": "2025-03-31", "group_by": "team"}
        _assert_every_link_lists_its_count(client, "funnel", params, everything)
