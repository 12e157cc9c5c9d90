"""Measurement, won/lost, reassignment, visits (booking, free slots, reschedule, no-show) and reminders."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django_fsm_log.models import StateLog

from leadflow.exceptions import PermissionRefused, TransitionRefused
from leadflow.models import HandoffState, Lead, LeadStatus, Notification
from sales import selectors
from sales import services as s
from sales.models import Measurement, ObjectionTag, Visit
from tests.factories import reason, sales_team
from tests.sales.conftest import msk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


# --- measurement, won, lost ---------------------------------------------------------------------


def test_measurement_records_quote_objections_next_step_and_closes_the_visit(clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 1, 12, 0))
    clock.move_to(msk(2026, 12, 1, 14, 0))
    lead = s.lead_record_measurement(
        lead_id=lead.pk,
        actor=people["rep"],
        quote_amount=Decimal("420000"),
        objections=["price", "family_decision"],
        objection_note="Жена хочет другой фасад",
        next_step="Перезвонить после семейного совета",
        next_step_due=date(2026, 12, 4),
    )
    assert lead.status == LeadStatus.MEASURED
    assert lead.quote_amount == Decimal("420000")
    measurement = Measurement.objects.get(lead=lead)
    assert sorted(measurement.objections.values_list("code", flat=True)) == ["family_decision", "price"]
    assert measurement.next_step == "Перезвонить после семейного совета"
    assert measurement.visit.status == Visit.Status.DONE
    assert measurement.recorded_by == people["rep"]


def test_objection_tags_are_data():
    assert list(ObjectionTag.objects.values_list("code", flat=True)) == [
        "price",
        "timing",
        "competitor",
        "family_decision",
        "design",
    ]


def test_measurement_needs_a_quote(clock, people, deals):
    lead = deals.accepted()
    with pytest.raises(TransitionRefused, match="quote"):
        s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=None)
    assert not Measurement.objects.exists()


def test_win_needs_amount_and_date_and_only_after_measurement(clock, people, deals):
    lead = deals.accepted()
    with pytest.raises(TransitionRefused):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("1"), deal_date=date(2026, 12, 1))
    lead = s.lead_record_measurement(lead_id=lead.pk, actor=people["rep"], quote_amount=Decimal("400000"))
    with pytest.raises(TransitionRefused, match="amount"):
        s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("390000"), deal_date=None)
    lead = s.lead_win(lead_id=lead.pk, actor=people["rep"], deal_amount=Decimal("390000"), deal_date=date(2026, 12, 1))
    assert lead.status == LeadStatus.WON
    assert lead.deal_amount == Decimal("390000")


def test_lose_before_the_visit_with_competitor_cancels_the_visit(clock, people, deals):
    lead = deals.scheduled()
    with pytest.raises(TransitionRefused, match="reason"):
        s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("disqualify", "spam"))
    lead = s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "competitor"), competitor="Мария")
    assert lead.status == LeadStatus.LOST
    assert lead.competitor == "Мария"
    assert Visit.objects.get(lead=lead).status == Visit.Status.CANCELLED
    assert "Мария" in StateLog.objects.for_(lead).get(transition="lose").description


def test_lose_after_measurement(clock, people, deals):
    lead = deals.measured()
    lead = s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "price"))
    assert lead.status == LeadStatus.LOST


def test_other_rep_cannot_move_the_deal(clock, people, deals):
    lead = deals.measured()
    with pytest.raises(PermissionRefused):
        s.lead_win(lead_id=lead.pk, actor=people["other_rep"], deal_amount=Decimal("1"), deal_date=date(2026, 12, 1))
    with pytest.raises(PermissionRefused):
        s.lead_lose(lead_id=lead.pk, actor=people["other_rep"], reason=reason("lose", "price"))


# --- reassignment -------------------------------------------------------------------------------


def test_manager_reassigns_a_deal_with_its_visits_and_a_fresh_window(clock, people, deals):
    lead = deals.handed_off()
    visit = s.visit_schedule(lead_id=lead.pk, actor=people["rep"], starts_at=msk(2026, 12, 3, 11, 0))
    clock.move_to(msk(2026, 12, 1, 13, 0))  # original window (12:00) has passed
    with pytest.raises(PermissionRefused):
        s.deal_reassign(lead_id=lead.pk, actor=people["rep"], sales_rep=people["other_rep"])
    lead = s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=people["other_rep"], note="Отпуск")
    assert lead.sales_rep == people["other_rep"]
    assert lead.acceptance_due_at == msk(2026, 12, 1, 15, 0)
    visit.refresh_from_db()
    assert visit.rep == people["other_rep"]
    row = StateLog.objects.for_(lead).get(transition="reassigned")
    assert row.by == people["manager"] and "Отпуск" in row.description
    assert Notification.objects.filter(recipient=people["other_rep"], kind=Notification.Kind.REASSIGNED).exists()
    # the old rep has lost it, the new one works it
    with pytest.raises(PermissionRefused):
        s.handoff_accept(lead_id=lead.pk, actor=people["rep"])
    assert s.handoff_accept(lead_id=lead.pk, actor=people["other_rep"]).handoff_state == HandoffState.ACCEPTED


def test_reassign_refuses_unavailable_reps_and_closed_deals(clock, people, deals):
    lead = deals.accepted()
    people["other_rep"].profile.is_available = False
    people["other_rep"].profile.save()
    with pytest.raises(TransitionRefused, match="available"):
        s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=people["other_rep"])
    with pytest.raises(TransitionRefused, match="already"):
        s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=people["rep"])
    s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "price"))
    with pytest.raises(TransitionRefused, match="open deal"):
        s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=people["rep"])


# --- visits and free slots ----------------------------------------------------------------------


def _slots(rep, day, now=None):
    return [
        slot.starts_at
        for slot in selectors.visit_free_slots(sales_team=sales_team(), start=day, days=1, rep=rep, now=now)
    ]


def test_free_slots_follow_working_hours_visit_length_and_travel_buffer(clock, people, deals):
    rep = people["rep"]
    day = date(2026, 12, 2)  # Wednesday, 9:00–20:00
    starts = _slots(rep, day)
    assert starts[0] == msk(2026, 12, 2, 9, 0)
    assert starts[-1] == msk(2026, 12, 2, 18, 30)  # + 90 min visit = closing time
    assert len(starts) == 20  # every 30 minutes
    deals.scheduled(starts_at=msk(2026, 12, 2, 12, 0))  # 12:00–13:30
    starts = _slots(rep, day)
    # the buffer keeps 60 min clear on both sides: nothing starting after 9:30 or before 14:30
    assert msk(2026, 12, 2, 9, 30) in starts
    assert msk(2026, 12, 2, 10, 0) not in starts
    assert msk(2026, 12, 2, 14, 0) not in starts
    assert msk(2026, 12, 2, 14, 30) in starts
    # another rep is free all day
    assert len(_slots(people["other_rep"], day)) == 20


def test_no_slots_on_sunday_on_holidays_or_in_the_past(clock, people):
    rep = people["rep"]
    assert _slots(rep, date(2026, 12, 6)) == []  # Sunday: the sales team is closed
    assert _slots(rep, date(2027, 1, 1)) == []  # New Year: public holiday
    today = _slots(rep, date(2026, 12, 1))
    assert today[0] == msk(2026, 12, 1, 10, 0)  # not before now


def test_team_slots_list_every_available_rep(clock, people):
    slots = selectors.visit_free_slots(sales_team=sales_team(), start=date(2026, 12, 2), days=1)
    assert {slot.rep.username for slot in slots} == {"rep", "rep2"}


def test_booking_refuses_clashes_hours_and_the_past(clock, people, deals):
    lead = deals.accepted()
    other = deals.accepted()
    s.visit_schedule(lead_id=lead.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 12, 0))
    with pytest.raises(TransitionRefused, match="busy"):
        s.visit_schedule(lead_id=other.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 14, 0))
    with pytest.raises(TransitionRefused, match="working hours"):
        s.visit_schedule(lead_id=other.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 19, 0))
    with pytest.raises(TransitionRefused, match="future"):
        s.visit_schedule(lead_id=other.pk, actor=people["rep"], starts_at=msk(2026, 12, 1, 9, 0))
    with pytest.raises(TransitionRefused, match="already booked"):
        s.visit_schedule(lead_id=lead.pk, actor=people["rep"], starts_at=msk(2026, 12, 3, 12, 0))
    visit = s.visit_schedule(
        lead_id=other.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 14, 30), note="Домофон 12"
    )
    assert visit.ends_at == msk(2026, 12, 2, 16, 0)
    assert visit.address == "Москва, ул. Тверская, 1"  # from the lead
    assert StateLog.objects.for_(Lead.objects.get(pk=other.pk)).filter(transition="visit_scheduled").exists()


def test_only_the_owner_or_manager_books_a_handed_off_deal(clock, people, deals):
    lead = deals.accepted()
    with pytest.raises(PermissionRefused):
        s.visit_schedule(lead_id=lead.pk, actor=people["other_rep"], starts_at=msk(2026, 12, 2, 12, 0))
    with pytest.raises(PermissionRefused):
        s.visit_schedule(lead_id=lead.pk, actor=people["qualifier"], starts_at=msk(2026, 12, 2, 12, 0))
    visit = s.visit_schedule(lead_id=lead.pk, actor=people["manager"], starts_at=msk(2026, 12, 2, 12, 0))
    assert visit.rep == people["rep"]
    assert Notification.objects.filter(recipient=people["rep"], dedupe_key=f"visit-booked:{visit.pk}").exists()


def test_qualifier_books_during_the_call_and_hands_off(clock, people, deals):
    lead = deals.qualified()
    with pytest.raises(PermissionRefused):
        s.visit_schedule(
            lead_id=lead.pk, actor=people["other_qualifier"], rep=people["rep"], starts_at=msk(2026, 12, 2, 12, 0)
        )
    with pytest.raises(TransitionRefused, match="sales rep"):
        s.visit_schedule(
            lead_id=lead.pk, actor=people["qualifier"], rep=people["qlead"], starts_at=msk(2026, 12, 2, 12, 0)
        )
    visit = s.visit_schedule(
        lead_id=lead.pk,
        actor=people["qualifier"],
        rep=people["other_rep"],
        starts_at=msk(2026, 12, 2, 12, 0),
        hand_off=True,
    )
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep == people["other_rep"]
    assert visit.rep == people["other_rep"] and visit.booked_by == people["qualifier"]


def test_qualifier_can_book_while_still_qualifying(clock, people):
    from qualification import services as q
    from tests.factories import LeadFactory

    lead = LeadFactory(address="Химки, ул. Ленина, 5")
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    visit = s.visit_schedule(
        lead_id=lead.pk, actor=people["qualifier"], rep=people["rep"], starts_at=msk(2026, 12, 2, 12, 0)
    )
    assert visit.status == Visit.Status.SCHEDULED
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING
    assert Lead.objects.get(pk=lead.pk).booked_rep == people["rep"]


def test_hand_off_after_booking_goes_to_the_booked_rep_not_the_least_loaded(clock, people, deals):
    from qualification import services as q
    from tests.factories import LeadFactory

    # rep already has one open deal, other_rep none: least-loaded alone would pick other_rep
    deals.handed_off(rep=people["rep"])
    lead = LeadFactory(address="Химки, ул. Ленина, 5")
    q.lead_claim(lead_id=lead.pk, actor=people["qualifier"])
    s.visit_schedule(lead_id=lead.pk, actor=people["qualifier"], rep=people["rep"], starts_at=msk(2026, 12, 2, 12, 0))
    from tests.factories import KITCHEN_PASSING_ANSWERS

    q.lead_answers_save(lead_id=lead.pk, actor=people["qualifier"], answers=KITCHEN_PASSING_ANSWERS)
    lead = q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=people["qualifier"], note="замер уже назначен")
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep == people["rep"]
    assert lead.handoff_summaries.get().sales_rep == people["rep"]


def test_hand_off_without_booking_follows_the_strategy(clock, people, deals):
    from qualification import services as q

    deals.handed_off(rep=people["rep"])
    lead = deals.qualified()
    lead = q.lead_send_to_sales(lead_id=lead.pk, actor=people["qualifier"])
    assert lead.sales_rep == people["other_rep"]


def test_reschedule_keeps_the_old_visit_and_checks_the_new_time(clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 2, 12, 0))
    visit = Visit.objects.get(lead=lead)
    blocker = deals.scheduled(starts_at=msk(2026, 12, 3, 12, 0))
    with pytest.raises(TransitionRefused, match="busy"):
        s.visit_reschedule(visit_id=visit.pk, actor=people["rep"], starts_at=msk(2026, 12, 3, 13, 0))
    # moving a visit by half an hour does not clash with itself
    new = s.visit_reschedule(
        visit_id=visit.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 12, 30), note="Клиент попросил"
    )
    visit.refresh_from_db()
    assert visit.status == Visit.Status.RESCHEDULED
    assert new.rescheduled_from == visit and new.status == Visit.Status.SCHEDULED
    assert new.ends_at - new.starts_at == timedelta(minutes=90)
    with pytest.raises(TransitionRefused):
        s.visit_reschedule(visit_id=visit.pk, actor=people["rep"], starts_at=msk(2026, 12, 4, 12, 0))
    with pytest.raises(PermissionRefused):
        s.visit_reschedule(visit_id=new.pk, actor=people["other_rep"], starts_at=msk(2026, 12, 4, 12, 0))
    assert blocker


def test_no_show_only_after_the_start_then_reschedule(clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 1, 12, 0))
    visit = Visit.objects.get(lead=lead)
    with pytest.raises(TransitionRefused, match="not started"):
        s.visit_mark_no_show(visit_id=visit.pk, actor=people["rep"])
    clock.move_to(msk(2026, 12, 1, 12, 30))
    visit = s.visit_mark_no_show(visit_id=visit.pk, actor=people["rep"], note="Не открыли дверь")
    assert visit.status == Visit.Status.NO_SHOW
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.HANDED_OFF
    card = selectors.deal_card(selectors.deal_queryset().get(pk=lead.pk))
    assert card.column == "new" and "no-show" in card.next_action
    new = s.visit_reschedule(visit_id=visit.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 12, 0))
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.NO_SHOW
    assert new.rescheduled_from_id == visit.pk


# --- reminders ----------------------------------------------------------------------------------


def test_evening_reminder_tells_the_rep_about_tomorrow_once(clock, people, deals, django_capture_on_commit_callbacks):
    tomorrow = deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0), name="Анна Завтрашняя")
    deals.scheduled(starts_at=msk(2026, 12, 3, 11, 0))  # the day after: not yet
    clock.move_to(msk(2026, 12, 1, 18, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert s.visit_reminders_evening() == 1
        assert s.visit_reminders_evening() == 0
    note = Notification.objects.get(recipient=people["rep"], kind=Notification.Kind.VISIT_REMINDER)
    assert "Анна Завтрашняя" in note.text and note.lead_id == tomorrow.pk
    assert len(mail.outbox) == 1
    assert Visit.objects.get(lead=tomorrow).rep_reminded_at == msk(2026, 12, 1, 18, 0)


def test_morning_message_carries_the_clients_details(clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0), name="Борис Клиентов", phone="+79161234567")
    deals.scheduled(starts_at=msk(2026, 12, 3, 15, 0))
    clock.move_to(msk(2026, 12, 2, 8, 0))
    from sales.tasks import visit_reminders_morning

    visit_reminders_morning.delay()
    visit_reminders_morning.delay()
    notes = list(Notification.objects.filter(kind=Notification.Kind.VISIT_REMINDER))
    assert len(notes) == 1
    text = notes[0].text
    assert "Борис Клиентов" in text and "+79161234567" in text and "Тверская" in text
    assert Visit.objects.get(lead=lead).client_details_sent_at is not None


def test_reminders_skip_cancelled_visits(clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0))
    s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "refused_before_visit"))
    clock.move_to(msk(2026, 12, 1, 18, 0))
    assert s.visit_reminders_evening() == 0


def test_unavailable_rep_has_no_team_slots(clock, people):
    people["other_rep"].profile.is_available = False
    people["other_rep"].profile.save()
    slots = selectors.visit_free_slots(sales_team=sales_team(), start=date(2026, 12, 2), days=1)
    assert {slot.rep.username for slot in slots} == {"rep"}
