"""The lead card: contact, inquiries, history, script, call attempts, callbacks, unreachable, permissions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import Lead, LeadStatus, SlaState
from leadflow.services import lead_receive
from qualification import services as q
from qualification.exceptions import PermissionRefused, TransitionRefused
from qualification.models import CallAttempt
from tests.factories import (
    KITCHEN_PASSING_ANSWERS,
    TeamFactory,
    kitchen_checklist,
    make_user,
    qualification_team,
    queue_lead,
    reason,
    source,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


def card(lead):
    return reverse("qualification:lead", args=[lead.pk])


def _claimed(qualifier, **kwargs):
    lead = queue_lead(**kwargs)
    return q.lead_claim(lead_id=lead.pk, actor=qualifier)


def test_card_shows_contact_utm_inquiries_history_and_script(client, qualifier):
    kitchen_checklist()
    first = lead_receive(
        source=source("website"), phone="+79161234567", name="Ирина", utm_source="yandex", utm_campaign="kitchens"
    ).lead
    lead_receive(source=source("avito"), phone="+79161234567", message="Ещё раз: нужна кухня 3 м")
    q.lead_claim(lead_id=first.pk, actor=qualifier)
    client.force_login(qualifier)
    html = client.get(card(first)).content.decode()
    assert 'href="tel:+79161234567"' in html
    assert "yandex" in html and "kitchens" in html
    assert "Ещё раз: нужна кухня 3 м" in html  # the repeat inquiry
    assert html.count('data-testid="inquiries"') == 1
    for label in ("Received", "Repeat inquiry", "Taken"):  # history rows, readable
        assert f"<strong>{label}</strong>" in html
    assert "Первый звонок" in html  # the seeded call script
    assert "Какая кухня нужна" in html  # the seeded checklist


@pytest.mark.parametrize("viewer", ["qualifier", "team lead"])
def test_card_runs_a_constant_number_of_queries(client, qualifier, django_assert_max_num_queries, viewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kitchen_checklist()
    lead = _claimed(qualifier)
    client.force_login(qualifier if viewer == "qualifier" else make_user(roles.QUALIFICATION_LEAD))
    make_user(roles.SALES_REP)
    with CaptureQueriesContext(connection) as few:
        assert client.get(card(lead)).status_code == 200
    for i in range(8):
        q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="no_answer", note=f"try {i}")
        lead_receive(source=source("avito"), phone=lead.phone, external_id=f"x{i}")
    q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(card(lead)).content.decode()
    assert html.count("try ") >= 8


def test_call_attempt_logged_from_the_card_stops_the_sla_clock(client, qualifier):
    lead = _claimed(qualifier)
    client.force_login(qualifier)
    response = client.post(reverse("qualification:call-log", args=[lead.pk]), {"outcome": "reached", "note": "ok"})
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.first_call_at is not None and lead.sla_state == SlaState.MET
    row = StateLog.objects.for_(lead).latest()
    assert (row.transition, row.by) == ("call_attempt", qualifier)


def test_callback_needs_a_future_time(client, qualifier):
    lead = _claimed(qualifier)
    client.force_login(qualifier)
    url = reverse("qualification:call-log", args=[lead.pk])
    response = client.post(url, {"outcome": "callback"})
    assert response.status_code == 400
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"outcome": "callback", "callback_at": past}).status_code == 400
    future = timezone.localtime() + timedelta(hours=2)
    assert (
        client.post(url, {"outcome": "callback", "callback_at": future.strftime("%Y-%m-%dT%H:%M")}).status_code == 302
    )
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.callback_at == future.replace(second=0, microsecond=0)
    assert CallAttempt.objects.get(lead=lead).callback_at == lead.callback_at
    # a later attempt without callback clears the callback
    q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="reached")
    assert Lead.objects.get(pk=lead.pk).callback_at is None


def test_unreachable_only_after_the_teams_failed_attempts(client, qualifier):
    qualification_team(max_failed_attempts=3)
    lead = _claimed(qualifier)
    unreachable = reason("disqualify", "unreachable")
    for outcome in ("no_answer", "busy"):
        q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome=outcome)
    with pytest.raises(TransitionRefused, match="3"):
        q.lead_disqualify(lead_id=lead.pk, actor=qualifier, reason=unreachable)
    client.force_login(qualifier)
    html = client.get(card(lead)).content.decode()
    assert 'data-testid="unreachable" disabled' in html
    q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="no_answer")
    html = client.get(card(lead)).content.decode()
    assert 'data-testid="unreachable" disabled' not in html
    response = client.post(reverse("qualification:disqualify", args=[lead.pk]), {"reason": unreachable.pk})
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason == unreachable


def test_reached_calls_do_not_count_as_failed(qualifier):
    qualification_team(max_failed_attempts=1)
    lead = _claimed(qualifier)
    q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="reached")
    with pytest.raises(TransitionRefused):
        q.lead_disqualify(lead_id=lead.pk, actor=qualifier, reason=reason("disqualify", "unreachable"))


# --- permissions ------------------------------------------------------------------------------


def test_acting_on_another_qualifiers_lead_is_403_with_a_clear_message(client, qualifier):
    other = make_user(roles.QUALIFIER, username="olga")
    lead = _claimed(other)
    client.force_login(qualifier)
    for name, data in [
        ("call-log", {"outcome": "reached"}),
        ("checklist", {"budget": "1"}),
        ("qualify", {}),
        ("disqualify", {"reason": reason("disqualify", "spam").pk}),
    ]:
        response = client.post(reverse(f"qualification:{name}", args=[lead.pk]), data)
        assert response.status_code == 403, name
        assert "held by another qualifier" in response.content.decode()
    assert client.get(card(lead)).status_code == 403
    with pytest.raises(PermissionRefused):
        q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="reached")
    assert not CallAttempt.objects.filter(lead=lead).exists()


def test_other_teams_leads_are_invisible(client, qualifier):
    other_team = TeamFactory(name="Регион", kind="qualification")
    lead = queue_lead(qualification_team=other_team)
    client.force_login(qualifier)
    response = client.get(card(lead))
    assert response.status_code == 403
    assert "another team" in response.content.decode()
    assert client.post(reverse("qualification:claim", args=[lead.pk])).status_code == 403


def test_unclaimed_lead_card_offers_take_and_actions_need_a_claim(client, qualifier):
    lead = queue_lead()
    client.force_login(qualifier)
    html = client.get(card(lead)).content.decode()
    assert 'data-testid="claim"' in html
    response = client.post(reverse("qualification:call-log", args=[lead.pk]), {"outcome": "reached"})
    assert response.status_code == 403
    assert client.post(reverse("qualification:claim", args=[lead.pk])).status_code == 302
    assert Lead.objects.get(pk=lead.pk).qualifier == qualifier


def test_sales_rep_cannot_open_cards(client):
    lead = queue_lead()
    client.force_login(make_user(roles.SALES_REP))
    assert client.get(card(lead)).status_code == 403


def test_holder_can_book_a_measurement_from_the_card_and_sees_the_booked_rep(client, qualifier):
    lead = _claimed(qualifier)
    client.force_login(qualifier)
    slots_url = f"{reverse('sales:slots')}?lead={lead.pk}"
    assert slots_url in client.get(card(lead)).content.decode()
    rep = make_user(roles.SALES_REP, first_name="Иван", last_name="Замеров")
    Lead.objects.filter(pk=lead.pk).update(booked_rep=rep)
    html = client.get(card(lead)).content.decode()
    assert slots_url not in html
    assert "Measurement booked with Иван Замеров" in html
