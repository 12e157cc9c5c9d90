"""Every transition of the lead FSM: allowed and refused per state and per role, with its audit row."""

from decimal import Decimal

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.exceptions import AlreadyClaimed, PermissionRefused, TransitionRefused
from leadflow.models import HandoffState, Lead, LeadStatus
from qualification import services as q
from sales import services as s
from tests.factories import LeadFactory, make_user, reason

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


@pytest.fixture
def people():
    return {
        "qualifier": make_user(roles.QUALIFIER),
        "other_qualifier": make_user(roles.QUALIFIER),
        "qlead": make_user(roles.QUALIFICATION_LEAD),
        "rep": make_user(roles.SALES_REP),
        "manager": make_user(roles.SALES_MANAGER),
    }


def _qualified(people):
    lead = LeadFactory()
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    Lead.objects.filter(pk=lead.pk).update(criteria_passed=True)
    return q.lead_qualify(lead_id=lead.pk, actor=people["qualifier"])


def _handed_off(people):
    lead = _qualified(people)
    return q.lead_hand_off(lead_id=lead.pk, actor=people["qualifier"], sales_rep=people["rep"])


def _measured(people):
    lead = _handed_off(people)
    return s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("350000"))


def test_status_is_protected():
    lead = LeadFactory()
    with pytest.raises(AttributeError):
        lead.status = LeadStatus.WON


def test_claim_sets_qualifier_and_logs_actor(people):
    lead = LeadFactory()
    lead = q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    assert lead.status == LeadStatus.QUALIFYING
    assert lead.qualifier == people["qualifier"]
    assert lead.claimed_at is not None
    row = StateLog.objects.for_(lead).latest()
    assert (row.source_state, row.state, row.transition, row.by) == ("new", "qualifying", "claim", people["qualifier"])


def test_second_claim_is_refused_with_clear_error(people):
    lead = LeadFactory()
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    with pytest.raises(AlreadyClaimed):
        q.lead_claim(lead_id=lead.pk, actor=people["other_qualifier"])


def test_sales_rep_cannot_claim(people):
    lead = LeadFactory()
    with pytest.raises(PermissionRefused):
        q.lead_claim(lead_id=lead.pk, actor=people["rep"])
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_qualify_refused_until_criteria_pass(people):
    lead = LeadFactory()
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    with pytest.raises(TransitionRefused, match="criteri"):
        q.lead_qualify(lead_id=lead.pk, actor=people["qualifier"])
    Lead.objects.filter(pk=lead.pk).update(criteria_passed=True)
    assert q.lead_qualify(lead_id=lead.pk, actor=people["qualifier"]).status == LeadStatus.QUALIFIED


def test_only_the_holder_acts_on_a_claimed_lead(people):
    lead = LeadFactory()
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    with pytest.raises(PermissionRefused):
        q.lead_disqualify(lead_id=lead.pk, actor=people["other_qualifier"], reason=reason("disqualify", "modular"))
    # the team lead may
    lead = q.lead_disqualify(lead_id=lead.pk, actor=people["qlead"], reason=reason("disqualify", "modular"))
    assert lead.status == LeadStatus.DISQUALIFIED


def test_disqualify_needs_a_reason(people):
    lead = LeadFactory()
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    with pytest.raises(TransitionRefused):
        q.lead_disqualify(lead_id=lead.pk, actor=people["qualifier"], reason=None)
    with pytest.raises(TransitionRefused):  # a reason of the wrong list
        q.lead_disqualify(lead_id=lead.pk, actor=people["qualifier"], reason=reason("lose", "price"))
    lead = q.lead_disqualify(lead_id=lead.pk, actor=people["qualifier"], reason=reason("disqualify", "no_budget"))
    assert lead.status == LeadStatus.DISQUALIFIED
    assert lead.disqualify_reason.code == "no_budget"
    assert StateLog.objects.for_(lead).latest().description == "Бюджет ниже порога"


def test_hand_off_needs_an_active_available_rep_of_the_sales_team(people):
    lead = _qualified(people)
    with pytest.raises(TransitionRefused):
        q.lead_hand_off(lead_id=lead.pk, actor=people["qualifier"], sales_rep=people["other_qualifier"])
    people["rep"].profile.is_available = False
    people["rep"].profile.save()
    with pytest.raises(TransitionRefused):
        q.lead_hand_off(lead_id=lead.pk, actor=people["qualifier"], sales_rep=people["rep"])
    people["rep"].profile.is_available = True
    people["rep"].profile.save()
    people["rep"].is_active = False
    people["rep"].save()
    with pytest.raises(TransitionRefused):
        q.lead_hand_off(lead_id=lead.pk, actor=people["qualifier"], sales_rep=people["rep"])
    people["rep"].is_active = True
    people["rep"].save()
    lead = q.lead_hand_off(lead_id=lead.pk, actor=people["qualifier"], sales_rep=people["rep"])
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep == people["rep"]
    assert lead.handoff_state == HandoffState.PENDING
    assert lead.acceptance_due_at > lead.handed_off_at


def test_measurement_needs_quote_and_owner(people):
    lead = _handed_off(people)
    other_rep = make_user(roles.SALES_REP)
    with pytest.raises(PermissionRefused):
        s.lead_record_measurement(lead_id=lead.pk, actor=other_rep, quote_amount=Decimal("1"))
    with pytest.raises(TransitionRefused):
        s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=None)
    lead = s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("420000"))
    assert lead.status == LeadStatus.MEASURED
    assert lead.quote_amount == Decimal("420000")


def test_win_needs_amount_and_date(people):
    lead = _measured(people)
    with pytest.raises(TransitionRefused):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=None, deal_date=timezone.localdate())
    with pytest.raises(TransitionRefused):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("400000"), deal_date=None)
    lead = s.lead_win(
        lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("400000"), deal_date=timezone.localdate()
    )
    assert lead.status == LeadStatus.WON
    assert lead.closed_at is not None


def test_lose_needs_a_reason_and_is_allowed_before_the_visit(people):
    lead = _handed_off(people)
    with pytest.raises(TransitionRefused):
        s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=None)
    lead = s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "refused_before_visit"))
    assert lead.status == LeadStatus.LOST


def test_return_to_qualification_only_by_arbiters(people):
    """Its one entry point is an upheld dispute (sales.services.dispute_uphold)."""
    lead = _handed_off(people)
    dispute = s.handoff_dispute(
        lead_id=lead.pk, actor=people["rep"], reason=reason("dispute", "modular"), comment="Модульная кухня"
    )
    with pytest.raises(PermissionRefused):
        s.dispute_uphold(dispute_id=dispute.pk, actor=people["rep"], note="modular")
    s.dispute_uphold(dispute_id=dispute.pk, actor=people["manager"], note="modular")
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.QUALIFYING
    assert lead.sales_rep is None
    assert lead.criteria_passed is False


@pytest.mark.parametrize(
    "status_builder, refused",
    [
        ("new", ["qualify", "hand_off", "record_measurement", "win", "lose", "return_to_qualification"]),
        ("qualified", ["claim", "disqualify", "record_measurement", "win", "lose"]),
        ("won", ["claim", "qualify", "disqualify", "hand_off", "record_measurement", "win", "lose"]),
    ],
)
def test_transitions_refused_by_state(people, status_builder, refused):
    builders = {
        "new": lambda: LeadFactory(),
        "qualified": lambda: _qualified(people),
        "won": lambda: s.lead_win(
            lead_id=_measured(people).pk,
            actor=people["rep"],
            deal_amount=Decimal("350000"),
            deal_date=timezone.localdate(),
        ),
    }
    lead = builders[status_builder]()
    from django.db import transaction

    from leadflow.services import lead_transition

    for name in refused:
        with pytest.raises(TransitionRefused), transaction.atomic():
            lead_transition(lead=Lead.objects.get(pk=lead.pk), name=name, actor=people["qlead"])


def test_history_is_complete_for_a_won_deal(people):
    lead = _measured(people)
    s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("500000"), deal_date=timezone.localdate())
    transitions = list(StateLog.objects.for_(lead).order_by("timestamp", "pk").values_list("transition", "by"))
    assert transitions == [
        ("claim", people["qualifier"].pk),
        ("qualify", people["qualifier"].pk),
        ("hand_off", people["qualifier"].pk),
        ("record_measurement", people["rep"].pk),
        ("win", people["rep"].pk),
    ]
