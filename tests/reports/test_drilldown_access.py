"""Who sees which leads behind a figure (issue 13 §3): a drill-down list never shows a lead its viewer
may not see otherwise (leadflow.access). A qualifier or a rep drills only into their own figures on
My stats; team leads and managers only into the leads of their scope, on every page."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from leadflow import access, roles
from leadflow.models import Lead, LeadStatus
from tests.factories import LeadFactory, TeamFactory, make_user

from . import dataset

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}
MARCH_31 = datetime(2025, 3, 31, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
COUNT = re.compile(r'data-testid="drill-count">(\d+)<')
ROW = re.compile(r"<tr><td class=\"num\">(\d+)</td>")


@pytest.fixture
def march_31():
    with time_machine.travel(MARCH_31, tick=False):
        yield


def _listed(body):
    return {int(pk) for pk in ROW.findall(body)}


def _own(client, figure, **extra):
    response = client.get(reverse("reports:my-leads"), {"figure": figure, "dim": "month", **extra})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "who, figure, expected",
    [
        ("q1", "my.qualified", {"L1", "L2", "L10"}),
        ("r1", "my.won", {"L1", "L2", "L10"}),
        ("q2", "my.taken", {"L3", "L4", "L6", "L8", "L9"}),
    ],
)
def test_a_person_drills_into_their_own_figures_only(client, data, march_31, who, figure, expected):
    user = data["people"][who]
    client.force_login(user)
    body = _own(client, figure)
    pks = {data["leads"][key].pk for key in expected}
    assert _listed(body) == pks
    assert COUNT.findall(body) == [str(len(pks))]
    assert _listed(body) <= set(Lead.objects.filter(access.leads_scope(user)).values_list("pk", flat=True))
    # no parameter names another person: the list is always the viewer's own
    other = data["people"]["q2" if who != "q2" else "q1"]
    assert _listed(_own(client, figure, person=other.pk, group_by="person", dim_person=other.pk)) == pks


@pytest.mark.parametrize("who", ["q1", "r1"])
def test_a_qualifier_or_a_rep_cannot_open_the_team_drilldown(client, data, march_31, who):
    client.force_login(data["people"][who])
    other = data["people"]["q2"]
    for params in (
        {"figure": "my.won", "group_by": "person", "dim": other.pk},
        {"figure": "funnel.received"},
        {"figure": "handoff.handoffs", "group_by": "qualifier", "dim": other.pk},
    ):
        assert client.get(reverse("reports:leads"), {**MARCH, **params}).status_code == 403


def test_a_lead_counted_for_a_qualifier_but_now_held_by_another_is_counted_not_listed(client, data, march_31):
    """q1 qualified it; it went back to qualifying and q2 holds it now: q1's card may not open it, so
    q1's list does not show it; the heading says one more is counted."""
    q1, q2 = data["people"]["q1"], data["people"]["q2"]
    theirs = LeadFactory(
        qualification_team=q1.profile.team, qualified_by=q1, qualified_at=dataset.at(3, 20, 10), qualifier=q2,
        status=LeadStatus.QUALIFYING, received_at=dataset.at(3, 20, 9), name="Клиент Чужой",
    )  # fmt: skip
    client.force_login(q1)
    page = client.get(reverse("reports:my")).content.decode()
    assert 'data-figure="my.qualified" data-count="4"' in page  # the figure counts it
    body = _own(client, "my.qualified")
    assert theirs.pk not in _listed(body) and "Клиент Чужой" not in body
    assert COUNT.findall(body) == ["3"]
    assert 'data-testid="drill-hidden"' in body and "Ещё 1 лид учтён в показателе" in body


def test_the_own_list_exports_without_the_clients_contacts(client, data, march_31):
    client.force_login(data["people"]["q1"])
    response = client.get(
        reverse("reports:my-leads"), {"figure": "my.qualified", "dim": "month", "export": "csv", "table": "leads"}
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 1 + 3
    assert data["leads"]["L1"].phone not in text and "Телефон" not in text


def test_an_unknown_own_figure_is_404(client, data, march_31):
    client.force_login(data["people"]["q1"])
    for params in ({"figure": "funnel.won", "dim": "month"}, {"figure": "my.won", "dim": "year"}, {}):
        assert client.get(reverse("reports:my-leads"), params).status_code == 404


@pytest.fixture
def kazan(data):
    """Another qualification team feeding another sales team, with a won deal in March."""
    sales = TeamFactory(name="Продажи Казань", kind="sales")
    qteam = TeamFactory(name="Квалификация Казань", sales_team=sales)
    qualifier = make_user(roles.QUALIFIER, team=qteam, username="kq", first_name="Олег", last_name="Казанцев")
    rep = make_user(roles.SALES_REP, team=sales, username="kr", first_name="Ринат", last_name="Казанский")
    lead = LeadFactory(
        qualification_team=qteam, qualifier=qualifier, qualified_by=qualifier, first_called_by=qualifier,
        handed_off_by=qualifier, sales_rep=rep, status=LeadStatus.WON, received_at=dataset.at(3, 2, 10),
        first_call_at=dataset.at(3, 2, 10, 5), qualified_at=dataset.at(3, 2, 11), handed_off_at=dataset.at(3, 2, 12),
        accepted_at=dataset.at(3, 2, 13), measured_at=dataset.at(3, 3, 10), closed_at=dataset.at(3, 9, 10),
        deal_amount=100000, name="Клиент Казанский",
    )  # fmt: skip
    return {"qteam": qteam, "qualifier": qualifier, "rep": rep, "lead": lead}


KAZAN_FIGURES = [
    ("speed.leads", "team", "qteam"),
    ("speed.called", "qualifier", "qualifier"),
    ("handoff.handoffs", "qualifier", "qualifier"),
    ("handoff.won", "qualifier", "qualifier"),
    ("sales.won", "rep", "rep"),
    ("sales.measured", "rep", "rep"),
    ("economics.deals_won", "statement", "rep"),
    ("economics.handoff_wins", "statement", "qualifier"),
    ("funnel.won", "team", "qteam"),
    ("disqualified.received", "source", None),
]


@pytest.mark.parametrize("figure, group_by, whose", KAZAN_FIGURES)
def test_team_leads_and_managers_drilling_into_another_teams_row_see_none_of_it(
    client, data, kazan, figure, group_by, whose
):
    """The director's list has the Kazan deal; the local qualification lead's and sales manager's, for
    the very same link, do not."""
    if whose is None:
        dim = str(kazan["lead"].source_id)
    elif group_by == "statement":
        dim = f"{kazan[whose].pk}:2025-03"
    else:
        dim = str(kazan[whose].pk)
    params = {**MARCH, "figure": figure, "group_by": group_by, "dim": dim}
    client.force_login(data["people"]["director"])
    assert "Клиент Казанский" in client.get(reverse("reports:leads"), params).content.decode()
    for who in ("qlead", "manager"):
        client.force_login(data["people"][who])
        body = client.get(reverse("reports:leads"), params).content.decode()
        assert "Клиент Казанский" not in body, who
        assert kazan["lead"].pk not in _listed(body), who


def test_a_sales_manager_sees_the_hand_offs_of_the_qualifiers_feeding_the_team(client, data):
    """The manager arbitrates the feeding teams' hand-offs: the hand-off quality rows of those
    qualifiers, and their lists, are the manager's to see."""
    client.force_login(data["people"]["manager"])
    q1 = data["people"]["q1"]
    params = {**MARCH, "figure": "handoff.handoffs", "group_by": "qualifier", "dim": q1.pk}
    body = client.get(reverse("reports:leads"), params).content.decode()
    assert COUNT.findall(body) == ["4"]  # L1, L2, L10 handed off again, and L10's upheld dispute
