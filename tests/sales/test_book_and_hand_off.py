"""Booking → hand-off as one flow (issue 16 §5): the qualifier books the rep's slot during the call and
qualifies + hands off in the same submit, landing back in the queue; a refusal keeps what was typed."""

from datetime import timedelta

import pytest
from django.urls import reverse

from leadflow.models import HandoffState, Lead, LeadStatus, Notification, SlaState
from qualification import services as q
from qualification.models import CallAttempt, HandoffSummary
from sales import services as s
from sales.exceptions import TransitionRefused
from sales.models import Visit
from tests.factories import KITCHEN_PASSING_ANSWERS, LeadFactory
from tests.sales.conftest import NOW, msk

pytestmark = pytest.mark.usefixtures("english")  # assert on the English msgids

SLOT = "2026-12-02T11:00"


def _on_call(people, *, answers=True, **fields):
    """A lead received ten minutes ago, claimed and called by the qualifier, its checklist answered."""
    fields.setdefault("address", "Москва, ул. Тверская, 1")
    lead = LeadFactory(received_at=NOW - timedelta(minutes=10), **fields)
    qualifier = people["qualifier"]
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome=CallAttempt.Outcome.REACHED)
    if answers:
        q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
    return Lead.objects.get(pk=lead.pk)


def _post(client, lead, rep, url_name="sales:book-hand-off", **data):
    payload = {"lead": lead.pk, "slot": f"{rep.pk}|{SLOT}", "address": "Москва, ул. Садовая, 2", "note": "Домофон 12"}
    payload.update(data)
    return client.post(reverse(url_name), payload)


def test_one_submit_books_qualifies_hands_off_and_returns_to_the_queue(client, clock, people):
    lead = _on_call(people)
    sla_before = (lead.sla_state, lead.first_call_at)
    client.force_login(people["qualifier"])
    response = _post(client, lead, people["other_rep"])
    assert response.status_code == 302 and response.url == reverse("qualification:index")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep == people["other_rep"] == lead.booked_rep  # the rep whose slot was booked
    assert lead.handoff_state == HandoffState.PENDING and lead.acceptance_due_at > NOW
    assert (lead.sla_state, lead.first_call_at) == sla_before and lead.sla_state == SlaState.MET
    visit = Visit.objects.get(lead=lead)
    assert visit.rep == people["other_rep"] and visit.starts_at == msk(2026, 12, 2, 11, 0)
    assert visit.address == "Москва, ул. Садовая, 2" and visit.booked_by == people["qualifier"]
    summary = HandoffSummary.objects.get(lead=lead)
    assert summary.note == "Домофон 12" and summary.sales_rep == people["other_rep"]
    assert "Measurement booked" in summary.best_time_to_visit and "11:00" in summary.best_time_to_visit
    assert {row["code"] for row in summary.answers} == set(KITCHEN_PASSING_ANSWERS)
    kinds = set(Notification.objects.filter(recipient=people["other_rep"]).values_list("kind", flat=True))
    assert {Notification.Kind.HANDOFF, Notification.Kind.INFO} <= kinds

    queue = client.get(response.url).content.decode()
    assert "Measurement booked: 02.12.2026 11:00 with Пётр Замеров. Qualified and handed off to Пётр Замеров." in queue


def test_a_failing_criterion_refuses_both_and_keeps_what_was_typed(client, clock, people):
    lead = _on_call(people, answers=False)
    client.force_login(people["qualifier"])
    response = _post(client, lead, people["rep"], note="Клиент просит после обеда")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="booking-refused"' in html
    assert "Москва, ул. Садовая, 2" in html and "Клиент просит после обеда" in html
    assert f'value="{people["rep"].pk}|{SLOT}" autocomplete="off" checked' in html  # the slot stays picked
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.QUALIFYING and lead.booked_rep is None
    assert not Visit.objects.filter(lead=lead).exists()  # one transaction: no visit without the hand-off
    assert not HandoffSummary.objects.filter(lead=lead).exists()


def test_the_page_names_what_the_hand_off_waits_for(client, clock, people):
    lead = _on_call(people, answers=False)
    client.force_login(people["qualifier"])
    html = client.get(reverse("sales:slots"), {"lead": lead.pk}).content.decode()
    assert 'data-testid="hand-off-blockers"' in html
    assert 'data-testid="book-hand-off" disabled' in html
    q.lead_answers_save(lead_id=lead.pk, actor=people["qualifier"], answers=KITCHEN_PASSING_ANSWERS)
    html = client.get(reverse("sales:slots"), {"lead": lead.pk}).content.decode()
    assert 'data-testid="hand-off-blockers"' not in html and 'data-testid="book-hand-off">' in html


def test_a_taken_slot_refuses_both_and_keeps_the_input(client, clock, people, deals):
    deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0))  # rep is busy at 11:00
    lead = _on_call(people)
    client.force_login(people["qualifier"])
    response = _post(client, lead, people["rep"], address="Химки, Ленина 5")
    assert response.status_code == 409
    html = response.content.decode()
    assert "busy" in html and "Химки, Ленина 5" in html
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.QUALIFYING and not Visit.objects.filter(lead=lead).exists()


def test_a_form_error_keeps_the_input(client, clock, people):
    lead = _on_call(people)
    client.force_login(people["qualifier"])
    response = _post(client, lead, people["rep"], slot="", note="Нужна подсветка")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a free slot." in html and "Нужна подсветка" in html
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING


def test_only_the_holder_or_the_team_lead_may_book_and_hand_off(client, clock, people):
    lead = _on_call(people)
    for outsider in (people["other_qualifier"], people["rep"]):
        client.force_login(outsider)
        assert _post(client, lead, people["rep"]).status_code == 403
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING
    assert not Visit.objects.filter(lead=lead).exists()
    client.force_login(people["qlead"])
    assert _post(client, lead, people["rep"]).status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.HANDED_OFF


def test_booked_first_then_hand_off_from_the_same_page(client, clock, people):
    lead = _on_call(people)
    client.force_login(people["qualifier"])
    response = _post(client, lead, people["rep"], url_name="sales:book")
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING
    html = client.get(response.url).content.decode()
    assert 'data-testid="hand-off-after-booking"' in html
    assert reverse("qualification:qualify", args=[lead.pk]) in html
    response = client.post(
        reverse("qualification:qualify", args=[lead.pk]), {"note": "ок", "best_time_to_visit": "замер 02.12 11:00"}
    )
    assert response.url == reverse("qualification:index")
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF and lead.sales_rep == people["rep"]


def test_service_refuses_a_lead_already_handed_off_and_rolls_the_visit_back(clock, people, deals):
    lead = deals.handed_off()
    with pytest.raises(TransitionRefused):  # the visit itself would be bookable by the deal's rep
        s.visit_book_and_hand_off(
            lead_id=lead.pk, actor=people["rep"], rep=people["rep"], starts_at=msk(2026, 12, 2, 11, 0)
        )
    assert not Visit.objects.filter(lead=lead).exists()


def test_a_qualified_lead_is_booked_and_handed_off_in_one_submit(client, clock, people, deals):
    lead = deals.qualified()
    client.force_login(people["qualifier"])
    response = _post(client, lead, people["rep"])
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF and lead.sales_rep == people["rep"]
    assert HandoffSummary.objects.get(lead=lead).note == "Домофон 12"
