"""Criteria as data: pass rules, answers stored with their version, qualify/disqualify guards."""

from decimal import Decimal

import pytest
from django.urls import reverse

from leadflow.models import Lead, LeadStatus
from qualification import selectors
from qualification import services as q
from qualification.exceptions import TransitionRefused
from qualification.models import Checklist, Criterion, LeadAnswer
from tests.factories import KITCHEN_PASSING_ANSWERS, kitchen_checklist, queue_lead, reason

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


@pytest.fixture
def checklist():
    return kitchen_checklist()


@pytest.fixture
def lead(qualifier, checklist):
    lead = queue_lead()
    return q.lead_claim(lead_id=lead.pk, actor=qualifier)


def crit(checklist, code):
    return checklist.criteria.get(code=code)


def test_seeded_kitchen_checklist(checklist):
    codes = list(checklist.criteria.order_by("position").values_list("code", flat=True))
    assert codes == ["product_type", "need_confirmed", "budget", "timeline", "region_served", "decision_maker"]
    assert checklist.is_active and checklist.version == 1
    assert crit(checklist, "product_type").disqualify_reason.code == "modular"


@pytest.mark.parametrize(
    "code, value, passes",
    [
        ("product_type", "custom", True),
        ("product_type", "modular", False),
        ("budget", "250000", True),
        ("budget", "249999", False),
        ("budget", "1 200 000", True),
        ("timeline", "12", True),
        ("timeline", "13", False),
        ("timeline", "0", True),
        ("need_confirmed", "yes", True),
        ("need_confirmed", "no", False),
        ("region_served", "no", False),
    ],
)
def test_pass_rules(checklist, code, value, passes):
    criterion = crit(checklist, code)
    assert q.criterion_evaluate(criterion, q.criterion_clean_value(criterion, value)) is passes


def test_yes_no_rule_can_pass_on_no(checklist):
    criterion = Criterion(kind=Criterion.Kind.YES_NO, pass_if_yes=False)
    assert q.criterion_evaluate(criterion, False) and not q.criterion_evaluate(criterion, True)


def test_bad_values_are_refused(lead, qualifier):
    with pytest.raises(TransitionRefused, match="number"):
        q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"budget": "много"})
    with pytest.raises(TransitionRefused):
        q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"product_type": "wood"})
    with pytest.raises(TransitionRefused, match="Unknown"):
        q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"colour": "red"})
    assert not LeadAnswer.objects.exists()


def test_criteria_passed_only_when_every_required_answer_passes(lead, qualifier, checklist):
    answers = dict(KITCHEN_PASSING_ANSWERS)
    del answers["decision_maker"]
    lead = q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=answers)
    assert lead.criteria_passed is False  # one required criterion unanswered
    lead = q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"decision_maker": "yes"})
    assert Lead.objects.get(pk=lead.pk).criteria_passed is True
    lead = q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"budget": "100000"})
    assert Lead.objects.get(pk=lead.pk).criteria_passed is False
    answer = LeadAnswer.objects.get(lead=lead, criterion__code="budget")
    assert (answer.value, answer.passed, answer.checklist_version, answer.answered_by) == (100000, False, 1, qualifier)


def test_optional_criterion_may_fail(lead, qualifier, checklist):
    Criterion.objects.filter(checklist=checklist, code="decision_maker").update(required=False)
    answers = dict(KITCHEN_PASSING_ANSWERS, decision_maker="no")
    assert q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=answers).criteria_passed is True


def test_answers_are_history_with_the_actor(lead, qualifier):
    from django_fsm_log.models import StateLog

    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"budget": "300000"})
    row = StateLog.objects.for_(lead).latest()
    assert (row.transition, row.by) == ("checklist_answered", qualifier)
    assert "Бюджет на кухню: 300" in row.description  # the question people read, not the criterion code
    assert "budget" not in row.description


def test_a_new_checklist_version_never_rewrites_old_answers(lead, qualifier, checklist):
    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
    old = {a.pk: (a.value, a.passed, a.checklist_version) for a in LeadAnswer.objects.filter(lead=lead)}
    # the admin copies v1 to v2, raises the budget threshold and activates v2
    v2 = Checklist.objects.create(team=checklist.team, version=2, title="v2")
    for criterion in checklist.criteria.all():
        criterion.pk, criterion.checklist = None, v2
        if criterion.code == "budget":
            criterion.min_value = Decimal("500000")
        criterion.save()
    Checklist.objects.filter(pk=checklist.pk).update(is_active=False)
    Checklist.objects.filter(pk=v2.pk).update(is_active=True)

    assert {a.pk: (a.value, a.passed, a.checklist_version) for a in LeadAnswer.objects.filter(lead=lead)} == old
    state = selectors.checklist_state(lead=lead, checklist=selectors.active_checklist(team_id=checklist.team_id))
    assert not state.all_pass and len(state.old_answers) == 6  # v2 must be asked again
    lead = q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
    assert lead.criteria_passed is False  # 400 000 ₽ no longer passes under v2
    v2_budget = LeadAnswer.objects.get(lead=lead, criterion__checklist=v2, criterion__code="budget")
    assert (v2_budget.checklist_version, v2_budget.passed) == (2, False)
    assert LeadAnswer.objects.get(lead=lead, criterion__checklist=checklist, criterion__code="budget").passed


def test_qualify_is_refused_until_required_answers_pass(client, lead, qualifier):
    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=dict(KITCHEN_PASSING_ANSWERS, budget="1000"))
    with pytest.raises(TransitionRefused):
        q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier)
    client.force_login(qualifier)
    html = client.get(reverse("qualification:lead", args=[lead.pk])).content.decode()
    assert 'data-testid="qualify" disabled' in html
    assert "Fails: Бюджет на кухню" in html  # the UI says why
    response = client.post(reverse("qualification:qualify", args=[lead.pk]), follow=True)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING
    assert "not every required criterion passes" in response.content.decode()


def test_stale_flag_is_rechecked_on_qualify(lead, qualifier):
    Lead.objects.filter(pk=lead.pk).update(criteria_passed=True)  # no answers at all
    with pytest.raises(TransitionRefused):
        q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier)


def test_disqualify_reason_is_prefilled_from_the_failing_answer(client, lead, qualifier):
    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers={"product_type": "modular"})
    client.force_login(qualifier)
    response = client.get(reverse("qualification:lead", args=[lead.pk]))
    modular = reason("disqualify", "modular")
    assert response.context["disqualify_form"].initial["reason"] == modular.pk
    assert f'<option value="{modular.pk}" selected>' in response.content.decode()


def test_disqualify_requires_a_reason_from_the_list(client, lead, qualifier):
    client.force_login(qualifier)
    url = reverse("qualification:disqualify", args=[lead.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Choose a disqualification reason" in response.content.decode()
    assert client.post(url, {"reason": reason("lose", "price").pk}).status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING
    client.post(url, {"reason": reason("disqualify", "modular").pk, "note": "хочет IKEA"})
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason.code == "modular"
