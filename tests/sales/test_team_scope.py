"""Several sales teams (issue 18 §3): a Saint Petersburg sales manager works the Petersburg team's deals
and disputes only; Moscow's stay Moscow's. The director sees both."""

import pytest
from django.urls import reverse

from leadflow import access, roles
from leadflow.models import Lead
from qualification.models import HandoffRoute
from sales import selectors
from tests.factories import make_user, qualification_team, sales_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def piter(people):
    team = sales_team("Продажи (Санкт-Петербург)")
    HandoffRoute.objects.create(team=qualification_team(), region="Санкт-Петербург", sales_team=team)
    return {
        "team": team,
        "rep": make_user(roles.SALES_REP, team=team, username="piter_rep", first_name="Глеб"),
        "manager": make_user(roles.SALES_MANAGER, team=team, username="piter_manager", first_name="Нева"),
    }


@pytest.fixture
def two_cities(deals, people, piter):
    moscow = deals.handed_off(name="Москвичёв Аркадий")
    petersburg = deals.handed_off(rep=piter["rep"], name="Питерская Вера", region="Санкт-Петербург")
    return moscow, petersburg


def test_the_petersburg_manager_sees_only_petersburg_deals_on_the_board(client, two_cities, piter):
    client.force_login(piter["manager"])
    page = client.get(reverse("sales:index")).content.decode()
    assert "Питерская Вера" in page
    assert "Москвичёв" not in page
    reps = client.get(reverse("sales:index")).context["reps"]
    assert [rep.username for rep in reps] == ["piter_rep"]


def test_the_moscow_manager_does_not_see_petersburg(client, two_cities, people):
    client.force_login(people["manager"])
    page = client.get(reverse("sales:index")).content.decode()
    assert "Москвичёв Аркадий" in page and "Питерская" not in page


def test_another_team_s_deal_is_refused(client, two_cities, piter):
    moscow, petersburg = two_cities
    client.force_login(piter["manager"])
    assert client.get(reverse("sales:deal", args=[petersburg.pk])).status_code == 200
    assert client.get(reverse("sales:deal", args=[moscow.pk])).status_code == 403
    assert not access.may_work_deal(piter["manager"], moscow)
    assert access.may_work_deal(piter["manager"], petersburg)


def test_the_director_works_every_team(two_cities):
    director = make_user(roles.DIRECTOR)
    moscow, petersburg = two_cities
    assert access.may_work_deal(director, moscow) and access.may_work_deal(director, petersburg)
    assert set(Lead.objects.filter(access.leads_scope(director)).values_list("pk", flat=True)) >= {
        moscow.pk,
        petersburg.pk,
    }


def test_lead_scope_of_each_manager_is_their_team(two_cities, people, piter):
    moscow, petersburg = two_cities
    piter_sees = set(Lead.objects.filter(access.leads_scope(piter["manager"])).values_list("pk", flat=True))
    moscow_sees = set(Lead.objects.filter(access.leads_scope(people["manager"])).values_list("pk", flat=True))
    assert petersburg.pk in piter_sees and moscow.pk not in piter_sees
    # the shared qualification team feeds Moscow by default, but a lead routed to Petersburg is Petersburg's
    assert moscow.pk in moscow_sees and petersburg.pk not in moscow_sees


def test_arbitration_shows_and_decides_only_the_team_s_disputes(client, deals, people, piter):
    dispute = deals.disputed(name="Москвичёв Аркадий")
    petersburg = deals.disputed(rep=piter["rep"], name="Питерская Вера", region="Санкт-Петербург")
    pending, _decided = selectors.arbitration_queue(sales_team_id=access.managed_sales_team_id(piter["manager"]))
    assert [row.lead_id for row in pending] == [petersburg.lead_id]

    client.force_login(piter["manager"])
    page = client.get(reverse("sales:arbitration")).content.decode()
    assert "Питерская Вера" in page and "Москвичёв" not in page
    response = client.post(reverse("sales:reject", args=[dispute.pk]), {f"r{dispute.pk}-note": "Клиент целевой"})
    assert response.status_code in (302, 403)
    dispute.refresh_from_db()
    assert dispute.decision == "pending"  # refused: another team's dispute

    client.force_login(people["manager"])
    page = client.get(reverse("sales:arbitration")).content.decode()
    assert "Москвичёв Аркадий" in page and "Питерская" not in page


def test_the_reports_team_filter_splits_the_deals_by_sales_team(two_cities, people, piter):
    """The reports' team filter (reports.selectors.common.ReportFilter) reads a sales team as its reps'
    deals: Petersburg's filter counts the routed lead, Moscow's does not."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reports.selectors.common import Period, ReportFilter
    from tests.factories import sales_team as moscow_team

    moscow, petersburg = two_cities
    year = Period(datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC")), datetime(2100, 1, 1, tzinfo=ZoneInfo("UTC")))

    def deals_of(team):
        return set(
            Lead.objects.filter(ReportFilter(period=year, team_id=team.pk).lead_q()).values_list("pk", flat=True)
        )

    assert deals_of(piter["team"]) == {petersburg.pk}
    assert deals_of(moscow_team()) == {moscow.pk}
