"""The board pages through the test client: what each role sees, every move as a POST, refusals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from leadflow.models import HandoffState, Lead, LeadStatus
from qualification.models import Criterion, LeadAnswer
from sales import services as s
from sales.models import Dispute, ObjectionTag, Visit
from tests.factories import reason
from tests.sales.conftest import KITCHEN_ROOM, msk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


def _login(client, user):
    client.force_login(user)
    return client


def _answer(lead, code, value):
    criterion = Criterion.objects.filter(code=code, checklist__is_active=True).first()
    LeadAnswer.objects.create(
        lead=lead, criterion=criterion, checklist_version=criterion.checklist.version, value=value, passed=True
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the board ----------------------------------------------------------------------------------


def test_rep_sees_own_deals_in_columns_with_qualification_facts(client, clock, people, deals):
    new = deals.handed_off(name="Анна Новая", address="Москва, Бутово, ул. Южная, 3")
    _answer(new, "budget", 450000)
    _answer(new, "timeline", 2)
    scheduled = deals.scheduled(name="Борис Замеров", starts_at=msk(2026, 12, 2, 11, 0))
    measured = deals.measured(name="Вера Квота", quote=Decimal("380000"))
    won = s.lead_win(
        lead_id=deals.measured(name="Глеб Победа").pk,
        actor=people["rep"],
        deal_amount=Decimal("500000"),
        deal_date=msk(2026, 12, 1, 0, 0).date(),
    )
    lost = s.lead_lose(
        lead_id=deals.accepted(name="Дина Отказ").pk, actor=people["rep"], reason=reason("lose", "price")
    )
    deals.handed_off(rep=people["other_rep"], name="Чужой Клиент")

    response = _login(client, people["rep"]).get(reverse("sales:index"))
    assert response.status_code == 200
    columns = {column.key: [card.lead.pk for card in column.cards] for column in response.context["columns"]}
    assert columns == {
        "new": [new.pk],
        "scheduled": [scheduled.pk],
        "measured": [measured.pk],
        "won": [won.pk],
        "lost": [lost.pk],
    }
    html = response.content.decode()
    assert "Чужой Клиент" not in html
    assert "Бутово" in html
    assert "450\xa0000 ₽" in html and "2 мес." in html
    assert "380\u202f000" in html  # the quote
    assert 'hx-trigger="every 20s"' in html


def test_card_without_answers_still_renders(client, clock, people, deals):
    deals.handed_off(name="Без Ответов")
    response = _login(client, people["rep"]).get(reverse("sales:index"))
    assert "Без Ответов" in response.content.decode()


def test_won_and_lost_show_the_current_month_only(client, clock, people, deals):
    old = deals.measured(name="Прошлый Месяц")
    clock.move_to(msk(2026, 11, 20, 12, 0))
    s.lead_win(
        lead_id=old.pk, actor=people["rep"], deal_amount=Decimal("350000"), deal_date=msk(2026, 11, 20, 0, 0).date()
    )
    clock.move_to(msk(2026, 12, 1, 10, 0))
    response = _login(client, people["rep"]).get(reverse("sales:index"))
    assert "Прошлый Месяц" not in response.content.decode()
    closed = client.get(reverse("sales:closed"), {"q": "Прошлый"})
    assert "Прошлый Месяц" in closed.content.decode()


def test_days_in_column_and_overdue_flag(client, clock, people, deals):
    deals.handed_off(name="Ждёт Давно")
    clock.shift(timedelta(days=2))
    response = _login(client, people["rep"]).get(reverse("sales:index"))
    card = response.context["columns"][0].cards[0]
    assert card.days_in_column == 2
    assert card.overdue is True
    assert 'data-testid="overdue"' in response.content.decode()


def test_rep_cannot_look_at_another_reps_board_or_deal(client, clock, people, deals):
    theirs = deals.handed_off(rep=people["other_rep"])
    _login(client, people["rep"])
    response = client.get(reverse("sales:index"), {"rep": people["other_rep"].pk})
    assert response.status_code == 403
    assert "only see your own deals" in response.content.decode()
    response = client.get(reverse("sales:deal", args=[theirs.pk]))
    assert response.status_code == 403
    assert "another sales rep" in response.content.decode()
    response = client.post(reverse("sales:accept", args=[theirs.pk]))
    assert response.status_code == 403
    assert Lead.objects.get(pk=theirs.pk).handoff_state == HandoffState.PENDING
    assert client.get(reverse("sales:calendar"), {"rep": people["other_rep"].pk}).status_code == 403


def test_manager_sees_every_rep_and_filters(client, clock, people, deals):
    mine = deals.handed_off(name="Клиент Ивана")
    theirs = deals.handed_off(rep=people["other_rep"], name="Клиент Петра")
    _login(client, people["manager"])
    html = client.get(reverse("sales:index")).content.decode()
    assert "Клиент Ивана" in html and "Клиент Петра" in html
    response = client.get(reverse("sales:index"), {"rep": people["other_rep"].pk})
    cards = [card.lead.pk for column in response.context["columns"] for card in column.cards]
    assert cards == [theirs.pk]
    assert mine


def test_qualifier_sees_outcomes_not_the_board(client, clock, people, deals):
    lead = deals.measured(name="Моя Передача")
    deals.handed_off(qualifier=people["other_qualifier"], name="Чужая Передача")
    _login(client, people["qualifier"])
    response = client.get(reverse("sales:index"))
    assert response.status_code == 302 and response.url == reverse("sales:outcomes")
    html = client.get(reverse("sales:outcomes")).content.decode()
    assert "Моя Передача" in html and "Чужая Передача" not in html
    assert client.get(reverse("sales:deal", args=[lead.pk])).status_code == 302  # to outcomes
    assert client.post(reverse("sales:accept", args=[lead.pk])).status_code == 403


def test_board_part_answers_204_until_something_changes(client, clock, people, deals):
    deals.handed_off()
    _login(client, people["rep"])
    page = client.get(reverse("sales:index"))
    signature = page.context["signature"]
    assert client.get(reverse("sales:index"), {"sig": signature}, HTTP_HX_REQUEST="true").status_code == 204
    clock.shift(timedelta(seconds=5))
    arrived = deals.handed_off(name="Новая Передача")
    part = client.get(reverse("sales:index"), {"sig": signature}, HTTP_HX_REQUEST="true")
    assert part.status_code == 200
    assert "Новая Передача" in part.content.decode()
    assert arrived


# --- moves ------------------------------------------------------------------------------------


def test_accept_button(client, clock, people, deals):
    lead = deals.handed_off()
    response = _login(client, people["rep"]).post(
        reverse("sales:accept", args=[lead.pk]), {"next": reverse("sales:index")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("sales:index")
    assert Lead.objects.get(pk=lead.pk).handoff_state == HandoffState.ACCEPTED
    assert any("accepted" in m for m in _messages(response))


def test_refused_move_says_why(client, clock, people, deals):
    lead = deals.accepted()
    response = _login(client, people["rep"]).post(
        reverse("sales:accept", args=[lead.pk]), HTTP_REFERER="http://testserver" + reverse("sales:index"), follow=True
    )
    assert response.status_code == 200
    assert any("new hand-off" in m for m in _messages(response))


def test_dispute_form_requires_reason_and_comment(client, clock, people, deals):
    lead = deals.handed_off()
    _login(client, people["rep"])
    response = client.post(reverse("sales:dispute", args=[lead.pk]), {"reason": "", "comment": ""})
    assert response.status_code == 400
    assert response.context["forms"]["dispute"].errors.keys() == {"reason", "comment"}
    dispute_reason = reason("dispute", "no_budget")
    response = client.post(
        reverse("sales:dispute", args=[lead.pk]), {"reason": dispute_reason.pk, "comment": "Бюджет 150 тыс."}
    )
    assert response.status_code == 302
    assert Dispute.objects.get(lead=lead).reason == dispute_reason


def test_schedule_measure_win_through_the_pages(client, clock, people, deals):
    lead = deals.accepted()
    _login(client, people["rep"])
    response = client.post(
        reverse("sales:schedule", args=[lead.pk]),
        {"starts_at": "2026-12-02T11:00", "address": "Москва, ул. Лесная, 7", "note": "Код 45"},
    )
    assert response.status_code == 302
    visit = Visit.objects.get(lead=lead)
    assert visit.starts_at == msk(2026, 12, 2, 11, 0) and visit.address == "Москва, ул. Лесная, 7"
    deal_page = client.get(reverse("sales:deal", args=[lead.pk]))
    assert "reschedule" in deal_page.context["forms"]
    response = client.post(reverse("sales:measure", args=[lead.pk]), {"quote_amount": ""})
    assert response.status_code == 400
    assert deal_page.context["may_measure"]
    tags = [str(pk) for pk in ObjectionTag.objects.filter(is_active=True).values_list("pk", flat=True)[:2]]
    clock.move_to(msk(2026, 12, 2, 12, 30))  # the rep is at the client's: the visit has started
    response = client.post(
        reverse("sales:measure", args=[lead.pk]),
        {
            "quote_amount": "410000",
            "objections": tags,
            "objection_note": "Дорого",
            "next_step": "КП на почту",
            **KITCHEN_ROOM,
        },
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.MEASURED
    response = client.post(reverse("sales:win", args=[lead.pk]), {"deal_amount": "400000"})
    assert response.status_code == 400
    assert "deal_date" in response.context["forms"]["win"].errors
    response = client.post(reverse("sales:win", args=[lead.pk]), {"deal_amount": "400000", "deal_date": "2026-12-01"})
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.WON and lead.deal_amount == Decimal("400000")


def test_lose_before_visit_through_the_page(client, clock, people, deals):
    lead = deals.handed_off()
    _login(client, people["rep"])
    response = client.post(reverse("sales:lose", args=[lead.pk]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("sales:lose", args=[lead.pk]),
        {"reason": reason("lose", "refused_before_visit").pk, "competitor": ""},
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.LOST


def test_reschedule_and_no_show_views(client, clock, people, deals):
    lead = deals.scheduled(starts_at=msk(2026, 12, 1, 12, 0))
    visit = Visit.objects.get(lead=lead)
    _login(client, people["rep"])
    response = client.post(reverse("sales:no-show", args=[visit.pk]), follow=True)
    assert any("not started" in m for m in _messages(response))
    clock.move_to(msk(2026, 12, 1, 12, 20))
    client.post(reverse("sales:no-show", args=[visit.pk]))
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.NO_SHOW
    client.post(reverse("sales:reschedule", args=[visit.pk]), {"starts_at": "2026-12-03T15:00"})
    assert Visit.objects.get(lead=lead, status=Visit.Status.SCHEDULED).starts_at == msk(2026, 12, 3, 15, 0)
    other = _login(client, people["other_rep"]).post(
        reverse("sales:reschedule", args=[visit.pk]), {"starts_at": "2026-12-04T15:00"}
    )
    assert other.status_code == 403


def test_manager_reassigns_from_the_deal_page(client, clock, people, deals):
    lead = deals.accepted()
    _login(client, people["rep"])
    assert (
        client.post(reverse("sales:reassign", args=[lead.pk]), {"sales_rep": people["other_rep"].pk}).status_code == 403
    )
    _login(client, people["manager"])
    page = client.get(reverse("sales:deal", args=[lead.pk]))
    assert "reassign" in page.context["forms"]
    response = client.post(reverse("sales:reassign", args=[lead.pk]), {"sales_rep": people["other_rep"].pk})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).sales_rep == people["other_rep"]


# --- arbitration --------------------------------------------------------------------------------


def test_arbitration_queue_is_for_the_arbiters(client, clock, people, deals):
    dispute = deals.disputed()
    assert _login(client, people["rep"]).get(reverse("sales:arbitration")).status_code == 403
    assert _login(client, people["qualifier"]).get(reverse("sales:arbitration")).status_code == 403
    assert (
        _login(client, people["rep"])
        .post(reverse("sales:uphold", args=[dispute.pk]), {f"u{dispute.pk}-note": "x"})
        .status_code
        == 403
    )
    for arbiter in ("manager", "qlead"):
        response = _login(client, people[arbiter]).get(reverse("sales:arbitration"))
        assert response.status_code == 200
        assert [row["dispute"].pk for row in response.context["rows"]] == [dispute.pk]


def test_uphold_and_reject_from_the_queue(client, clock, people, deals):
    first, second = deals.disputed(), deals.disputed()
    _login(client, people["qlead"])
    response = client.post(reverse("sales:uphold", args=[first.pk]), {f"u{first.pk}-note": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("sales:uphold", args=[first.pk]),
        {f"u{first.pk}-note": "Модульная", f"u{first.pk}-disqualify_reason": ""},
    )
    assert response.status_code == 302
    _login(client, people["manager"])
    client.post(reverse("sales:reject", args=[second.pk]), {f"r{second.pk}-note": "Целевой"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.decision, first.decided_by, first.counts_against_user) == (
        "upheld",
        people["qlead"],
        people["qualifier"],
    )
    assert (second.decision, second.decided_by, second.counts_against_user) == (
        "rejected",
        people["manager"],
        people["rep"],
    )
    html = client.get(reverse("sales:arbitration")).content.decode()
    assert "Модульная" in html and "Целевой" in html


# --- calendar and free slots ----------------------------------------------------------------------


def test_week_calendar_for_rep_and_team(client, clock, people, deals):
    deals.scheduled(name="Среда Клиент", starts_at=msk(2026, 12, 2, 11, 0))
    deals.scheduled(rep=people["other_rep"], name="Четверг Клиент", starts_at=msk(2026, 12, 3, 15, 0))
    html = _login(client, people["rep"]).get(reverse("sales:calendar")).content.decode()
    assert "Среда Клиент" in html and "Четверг Клиент" not in html
    response = _login(client, people["manager"]).get(reverse("sales:calendar"))
    html = response.content.decode()
    assert "Среда Клиент" in html and "Четверг Клиент" in html
    assert response.context["is_team"] is True
    next_week = client.get(reverse("sales:calendar"), {"week": "2026-12-08"}).content.decode()
    assert "Среда Клиент" not in next_week


def test_slots_page_for_the_qualifier_holding_the_lead(client, clock, people, deals):
    lead = deals.qualified()
    assert _login(client, people["other_qualifier"]).get(reverse("sales:slots"), {"lead": lead.pk}).status_code == 403
    _login(client, people["qualifier"])
    response = client.get(reverse("sales:slots"), {"lead": lead.pk})
    assert response.status_code == 200
    assert response.context["days"]
    response = client.post(
        reverse("sales:book"),
        {
            "lead": lead.pk,
            "slot": f"{people['rep'].pk}|2026-12-02T11:00",
            "address": "Москва, ул. Садовая, 2",
            "hand_off": "on",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF and lead.sales_rep == people["rep"]
    page = client.get(reverse("sales:slots"), {"lead": lead.pk})
    assert page.status_code == 403  # handed off: now the rep's deal


def test_booking_a_taken_slot_says_why(client, clock, people, deals):
    deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0))
    lead = deals.qualified()
    _login(client, people["qualifier"])
    response = client.post(
        reverse("sales:book"),
        {"lead": lead.pk, "slot": f"{people['rep'].pk}|2026-12-02T11:30", "address": "Москва"},
        HTTP_REFERER="http://testserver" + reverse("sales:slots") + f"?lead={lead.pk}",
    )
    # answered on the booking page itself, so the address typed stays (issue 16 §5)
    assert response.status_code == 409 and "busy" in response.content.decode()
    assert 'value="Москва"' in response.content.decode()
    assert not Visit.objects.filter(lead=lead).exists()


def test_uphold_with_disqualification_from_the_queue(client, clock, people, deals):
    dispute = deals.disputed()
    _login(client, people["manager"])
    modular = reason("disqualify", "modular")
    response = client.post(
        reverse("sales:uphold", args=[dispute.pk]),
        {f"u{dispute.pk}-note": "Модульная кухня", f"u{dispute.pk}-disqualify_reason": modular.pk},
    )
    assert response.status_code == 302
    lead = Lead.objects.get(pk=dispute.lead_id)
    assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason == modular
    dispute.refresh_from_db()
    assert dispute.upheld_action == Dispute.UpheldAction.DISQUALIFIED
