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
