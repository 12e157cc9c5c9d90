"""Accept, dispute and arbitration: who may, when, and whose record a decided dispute goes on."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django_fsm_log.models import StateLog

from leadflow.exceptions import PermissionRefused, TransitionRefused
from leadflow.models import HandoffState, Lead, LeadStatus, Notification
from sales import services as s
from sales.models import Dispute, Visit
from tests.factories import reason
from tests.sales.conftest import msk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


def _events(lead):
    return list(StateLog.objects.for_(lead).order_by("timestamp", "pk").values_list("transition", "by"))


def test_rep_accepts_own_hand_off_once(clock, people, deals):
    lead = deals.handed_off()
    lead = s.handoff_accept(lead_id=lead.pk, actor=people["rep"])
    assert lead.handoff_state == HandoffState.ACCEPTED
    assert lead.accepted_at is not None
    assert ("handoff_accepted", people["rep"].pk) in _events(lead)
    with pytest.raises(TransitionRefused, match="new hand-off"):
        s.handoff_accept(lead_id=lead.pk, actor=people["rep"])


def test_another_rep_cannot_accept_or_dispute(clock, people, deals):
    lead = deals.handed_off()
    with pytest.raises(PermissionRefused):
        s.handoff_accept(lead_id=lead.pk, actor=people["other_rep"])
    with pytest.raises(PermissionRefused):
        s.handoff_dispute(
            lead_id=lead.pk, actor=people["other_rep"], reason=reason("dispute", "modular"), comment="нет"
        )
    assert Lead.objects.get(pk=lead.pk).handoff_state == HandoffState.PENDING


def test_dispute_needs_a_dispute_reason_and_a_comment(clock, people, deals):
    lead = deals.handed_off()
    with pytest.raises(TransitionRefused):
        s.handoff_dispute(lead_id=lead.pk, actor=people["rep"], reason=None, comment="x")
    with pytest.raises(TransitionRefused):
        s.handoff_dispute(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "price"), comment="x")
    with pytest.raises(TransitionRefused, match="comment"):
        s.handoff_dispute(lead_id=lead.pk, actor=people["rep"], reason=reason("dispute", "modular"), comment="  ")
    assert not Dispute.objects.exists()


def test_dispute_goes_to_the_arbiters(clock, people, deals):
    dispute = deals.disputed()
    lead = Lead.objects.get(pk=dispute.lead_id)
    assert lead.handoff_state == HandoffState.DISPUTED
    assert dispute.is_pending
    assert dispute.qualifier == people["qualifier"]
    assert dispute.sales_rep == people["rep"]
    notified = set(
        Notification.objects.filter(kind=Notification.Kind.DISPUTE).values_list("recipient__username", flat=True)
    )
    assert notified == {"manager", "qlead"}
    assert ("handoff_disputed", people["rep"].pk) in _events(lead)


def test_accepted_hand_off_cannot_be_disputed(clock, people, deals):
    lead = deals.accepted()
    with pytest.raises(TransitionRefused):
        s.handoff_dispute(lead_id=lead.pk, actor=people["rep"], reason=reason("dispute", "modular"), comment="x")


def test_disputed_deal_cannot_be_measured_or_lost_until_decided(clock, people, deals):
    dispute = deals.disputed()
    with pytest.raises(TransitionRefused):
        s.lead_record_measurement(lead_id=dispute.lead_id, actor=people["rep"], quote_amount=Decimal("1000"))
    with pytest.raises(TransitionRefused):
        s.lead_lose(lead_id=dispute.lead_id, actor=people["rep"], reason=reason("lose", "price"))
    with pytest.raises(TransitionRefused, match="dispute"):
        s.visit_schedule(lead_id=dispute.lead_id, actor=people["rep"], starts_at=msk(2026, 12, 2, 11, 0))


def test_upheld_dispute_returns_the_lead_and_counts_against_the_qualifier(clock, people, deals):
    dispute = deals.disputed()
    with pytest.raises(PermissionRefused):
        s.dispute_uphold(dispute_id=dispute.pk, actor=people["rep"], note="сам себе судья")
    with pytest.raises(TransitionRefused, match="why"):
        s.dispute_uphold(dispute_id=dispute.pk, actor=people["manager"], note=" ")
    dispute = s.dispute_uphold(dispute_id=dispute.pk, actor=people["manager"], note="Модульная, подтвердили звонком")
    assert dispute.decision == Dispute.Decision.UPHELD
    assert dispute.decided_by == people["manager"]
    assert dispute.counts_against == Dispute.CountsAgainst.QUALIFIER
    assert dispute.counts_against_user == people["qualifier"]
    assert dispute.upheld_action == Dispute.UpheldAction.RETURNED
    lead = Lead.objects.get(pk=dispute.lead_id)
    assert lead.status == LeadStatus.QUALIFYING
    assert lead.sales_rep is None
    assert lead.qualifier == people["qualifier"]
    events = _events(lead)
    assert ("dispute_upheld", people["manager"].pk) in events
    assert ("return_to_qualification", people["manager"].pk) in events
    upheld_row = StateLog.objects.for_(lead).get(transition="dispute_upheld")
    assert "Модульная, подтвердили звонком" in upheld_row.description
    assert set(
        Notification.objects.filter(kind=Notification.Kind.ARBITRATION).values_list("recipient__username", flat=True)
    ) == {"rep", "qualifier"}
    with pytest.raises(TransitionRefused, match="already been decided"):
        s.dispute_reject(dispute_id=dispute.pk, actor=people["qlead"], note="передумали")


def test_upheld_dispute_can_disqualify_the_lead(clock, people, deals):
    dispute = deals.disputed()
    dispute = s.dispute_uphold(
        dispute_id=dispute.pk,
        actor=people["qlead"],
        note="Модульная",
        disqualify_reason=reason("disqualify", "modular"),
    )
    lead = Lead.objects.get(pk=dispute.lead_id)
    assert lead.status == LeadStatus.DISQUALIFIED
    assert lead.disqualify_reason.code == "modular"
    assert dispute.upheld_action == Dispute.UpheldAction.DISQUALIFIED
    assert dispute.counts_against_user == people["qualifier"]
    assert [t for t, _ in _events(lead)][-3:] == ["dispute_upheld", "return_to_qualification", "disqualify"]


def test_rejected_dispute_keeps_the_deal_with_the_rep_and_counts_against_the_rep(clock, people, deals):
    dispute = deals.disputed()
    dispute = s.dispute_reject(dispute_id=dispute.pk, actor=people["qlead"], note="Бюджет подтверждён в записи звонка")
    assert dispute.decision == Dispute.Decision.REJECTED
    assert dispute.counts_against == Dispute.CountsAgainst.SALES_REP
    assert dispute.counts_against_user == people["rep"]
    assert dispute.decided_by == people["qlead"]
    lead = Lead.objects.get(pk=dispute.lead_id)
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep == people["rep"]
    assert lead.handoff_state == HandoffState.ACCEPTED
    assert ("dispute_rejected", people["qlead"].pk) in _events(lead)
    # the rep can proceed now
    lead = s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("300000"))
    assert lead.status == LeadStatus.MEASURED


def test_counting_disputes_per_person(clock, people, deals):
    upheld = deals.disputed()
    s.dispute_uphold(dispute_id=upheld.pk, actor=people["manager"], note="да")
    rejected = deals.disputed()
    s.dispute_reject(dispute_id=rejected.pk, actor=people["manager"], note="нет")
    deals.disputed()  # still pending: counts against nobody
    assert Dispute.objects.filter(counts_against_user=people["qualifier"]).count() == 1
    assert Dispute.objects.filter(counts_against_user=people["rep"]).count() == 1
    assert Dispute.objects.filter(decision=Dispute.Decision.PENDING, counts_against_user__isnull=True).count() == 1


def test_upheld_dispute_cancels_a_booked_visit(clock, people, deals):
    lead = deals.handed_off()
    visit = s.visit_schedule(lead_id=lead.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 11, 0))
    dispute = s.handoff_dispute(
        lead_id=lead.pk, actor=people["rep"], reason=reason("dispute", "no_budget"), comment="Бюджет 100 тыс."
    )
    s.dispute_uphold(dispute_id=dispute.pk, actor=people["manager"], note="да")
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CANCELLED


# --- acceptance window ------------------------------------------------------------------------


def test_overdue_acceptance_is_flagged_once_and_the_manager_notified(clock, people, deals):
    lead = deals.handed_off()
    assert lead.acceptance_due_at == msk(2026, 12, 1, 12, 0)  # 120 working minutes
    assert s.handoff_flag_overdue() == 0
    clock.move_to(msk(2026, 12, 1, 11, 59))
    assert s.handoff_flag_overdue() == 0
    clock.move_to(msk(2026, 12, 1, 12, 1))
    assert s.handoff_flag_overdue() == 1
    assert s.handoff_flag_overdue() == 0  # idempotent
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.acceptance_overdue_notified_at == msk(2026, 12, 1, 12, 1)
    notes = Notification.objects.filter(kind=Notification.Kind.ACCEPTANCE_OVERDUE)
    assert [n.recipient.username for n in notes] == ["manager"]
    assert StateLog.objects.for_(lead).filter(transition="acceptance_overdue").count() == 1


def test_acceptance_window_counts_working_hours_only(clock, people, deals):
    clock.move_to(msk(2026, 12, 1, 19, 0))  # an hour before closing
    lead = deals.handed_off()
    assert lead.acceptance_due_at == msk(2026, 12, 2, 10, 0)
    clock.move_to(msk(2026, 12, 2, 8, 0))  # next morning, before opening: still in the window
    assert s.handoff_flag_overdue() == 0
    clock.move_to(msk(2026, 12, 2, 10, 1))
    assert s.handoff_flag_overdue() == 1


def test_accepted_or_disputed_hand_offs_are_never_flagged(clock, people, deals):
    deals.accepted()
    deals.disputed()
    clock.shift(timedelta(days=3))
    assert s.handoff_flag_overdue() == 0


def test_acceptance_sweep_task(clock, people, deals):
    from sales.tasks import acceptance_sweep

    deals.handed_off()
    clock.shift(timedelta(hours=3))
    acceptance_sweep.delay()
    assert Notification.objects.filter(kind=Notification.Kind.ACCEPTANCE_OVERDUE).count() == 1
