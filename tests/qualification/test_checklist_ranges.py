"""Checklist numbers have a sane range (issue 13 §1): a budget of 99 999 999 999 ₽ or a negative
timeline is a field error, never a passing answer; the typed values stay on the card."""

from decimal import Decimal

import pytest
from django.urls import reverse

from leadflow.models import Lead
from qualification import services as q
from qualification.exceptions import TransitionRefused
from qualification.models import LeadAnswer
from tests.factories import KITCHEN_PASSING_ANSWERS, kitchen_checklist, queue_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


@pytest.fixture
def checklist():
    return kitchen_checklist()


@pytest.fixture
def lead(qualifier, checklist):
    return q.lead_claim(lead_id=queue_lead().pk, actor=qualifier)


def test_the_seeded_numbers_have_a_sane_range(checklist):
    budget = checklist.criteria.get(code="budget")
    timeline = checklist.criteria.get(code="timeline")
    assert (budget.valid_min, budget.valid_max) == (Decimal("0"), Decimal("100000000"))
    assert (timeline.valid_min, timeline.valid_max) == (Decimal("0"), Decimal("120"))


@pytest.mark.parametrize(
    "code, value",
    [("budget", "99999999999"), ("budget", "-1"), ("timeline", "-1"), ("timeline", "121")],
)
def test_a_number_out_of_range_is_refused_and_never_passes(lead, qualifier, code, value):
    with pytest.raises(TransitionRefused, match="from"):
        q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=dict(KITCHEN_PASSING_ANSWERS, **{code: value}))
    assert not LeadAnswer.objects.exists()
    assert Lead.objects.get(pk=lead.pk).criteria_passed is False


@pytest.mark.parametrize("code, value, passes", [("budget", "100000000", True), ("timeline", "120", False)])
def test_the_edges_of_the_range_are_answers(lead, qualifier, code, value, passes):
    lead = q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=dict(KITCHEN_PASSING_ANSWERS, **{code: value}))
    assert LeadAnswer.objects.get(lead=lead, criterion__code=code).passed is passes
    assert lead.criteria_passed is passes


def test_a_stored_answer_out_of_range_does_not_pass(checklist):
    budget = checklist.criteria.get(code="budget")
    assert q.criterion_evaluate(budget, 99_999_999_999) is False


def test_the_card_shows_the_range_in_russian_and_keeps_the_typed_values(client, lead, qualifier):
    client.force_login(qualifier)
    typed = dict(KITCHEN_PASSING_ANSWERS, budget="99999999999", timeline="7")
    response = client.post(reverse("qualification:checklist", args=[lead.pk]), typed, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Введите число от 0 до 100\u202f000\u202f000" in page
    assert 'value="99999999999"' in page and 'value="7"' in page
    assert not LeadAnswer.objects.exists()
    assert Lead.objects.get(pk=lead.pk).criteria_passed is False
