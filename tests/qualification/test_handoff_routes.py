"""Hand-off routes (issue 18 §3): one qualification team feeds Moscow and Saint Petersburg; the first
matching rule picks the sales team, no rule matching leaves the team's own sales team."""

import pytest

from leadflow import roles
from leadflow.models import LeadStatus
from qualification import services as q
from qualification.models import HandoffRoute
from qualification.selectors import sales_team_for
from tests.factories import (
    KITCHEN_PASSING_ANSWERS,
    LeadFactory,
    kitchen_checklist,
    make_user,
    qualification_team,
    queue_lead,
    sales_team,
    source,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    moscow = sales_team()
    petersburg = sales_team("Продажи (Санкт-Петербург)")
    callcentre = qualification_team()
    assert callcentre.sales_team == moscow
    HandoffRoute.objects.create(team=callcentre, position=1, region="Санкт-Петербург", sales_team=petersburg)
    HandoffRoute.objects.create(team=callcentre, position=2, region="Ленинградская область", sales_team=petersburg)
    return callcentre, moscow, petersburg


def test_first_matching_rule_picks_the_team_else_the_default(teams):
    callcentre, moscow, petersburg = teams
    assert sales_team_for(LeadFactory(region="Санкт-Петербург")) == petersburg
    assert sales_team_for(LeadFactory(region="", city="санкт-петербург")) == petersburg  # the city, any case
    assert sales_team_for(LeadFactory(region="Ленинградская область")) == petersburg
    assert sales_team_for(LeadFactory(region="Москва")) == moscow


def test_every_condition_of_a_rule_must_hold(teams):
    callcentre, moscow, petersburg = teams
    HandoffRoute.objects.filter(team=callcentre).delete()
    HandoffRoute.objects.create(
        team=callcentre, region="Москва", product_interest="modular", source=source("avito"), sales_team=petersburg
    )
    assert (
        sales_team_for(LeadFactory(region="Москва", product_interest="modular", source=source("avito"))) == petersburg
    )
    assert sales_team_for(LeadFactory(region="Москва", product_interest="custom", source=source("avito"))) == moscow
    assert sales_team_for(LeadFactory(region="Москва", product_interest="modular")) == moscow


def test_an_inactive_rule_is_skipped(teams):
    callcentre, moscow, _petersburg = teams
    HandoffRoute.objects.filter(team=callcentre).update(is_active=False)
    assert sales_team_for(LeadFactory(region="Санкт-Петербург")) == moscow


def test_the_hand_off_goes_to_a_rep_of_the_routed_team(teams):
    callcentre, moscow, petersburg = teams
    qualifier = make_user(roles.QUALIFIER, team=callcentre)
    make_user(roles.SALES_REP, team=moscow)
    piter_rep = make_user(roles.SALES_REP, team=petersburg)
    kitchen_checklist()
    lead = queue_lead(region="Санкт-Петербург")
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
    lead = q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier)
    assert (lead.status, lead.sales_rep) == (LeadStatus.HANDED_OFF, piter_rep)


def test_a_language_rule_sends_english_speakers_to_petersburg_and_the_rest_falls_through(teams):
    callcentre, moscow, petersburg = teams
    HandoffRoute.objects.filter(team=callcentre).delete()
    HandoffRoute.objects.create(team=callcentre, position=1, language="en", sales_team=petersburg)
    assert sales_team_for(LeadFactory(region="Москва", language="en")) == petersburg
    assert sales_team_for(LeadFactory(region="Москва", language="ru")) == moscow
    assert sales_team_for(LeadFactory(region="Москва", language="")) == moscow  # not said: no language rule


def test_a_language_is_one_more_condition_of_a_rule(teams):
    callcentre, moscow, petersburg = teams
    HandoffRoute.objects.filter(team=callcentre).delete()
    HandoffRoute.objects.create(team=callcentre, region="Москва", language="zh", sales_team=petersburg)
    assert sales_team_for(LeadFactory(region="Москва", language="zh")) == petersburg
    assert sales_team_for(LeadFactory(region="Тверь", language="zh")) == moscow
    assert sales_team_for(LeadFactory(region="Москва", language="en")) == moscow


def test_a_rule_without_a_language_takes_every_language(teams):
    _callcentre, _moscow, petersburg = teams
    assert sales_team_for(LeadFactory(region="Санкт-Петербург", language="uz")) == petersburg


def test_the_english_speaker_is_handed_to_a_petersburg_rep(teams):
    callcentre, moscow, petersburg = teams
    HandoffRoute.objects.filter(team=callcentre).delete()
    HandoffRoute.objects.create(team=callcentre, language="en", sales_team=petersburg)
    qualifier = make_user(roles.QUALIFIER, team=callcentre)
    moscow_rep = make_user(roles.SALES_REP, team=moscow)
    piter_rep = make_user(roles.SALES_REP, team=petersburg)
    kitchen_checklist()
    handed = {}
    for language in ("en", "ru"):
        lead = queue_lead(region="Москва", language=language)
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
        handed[language] = q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier).sales_rep
    assert handed == {"en": piter_rep, "ru": moscow_rep}


def test_the_routes_admin_shows_and_filters_by_language(admin_client, teams):
    callcentre, _moscow, petersburg = teams
    HandoffRoute.objects.create(team=callcentre, position=3, language="en", sales_team=petersburg)
    response = admin_client.get("/admin/qualification/handoffroute/", {"language__exact": "en"})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [route.language for route in rows] == ["en"]
    assert "Английский" in response.content.decode()
