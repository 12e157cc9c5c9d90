"""The rep's day ("Сегодня", issue 15 §1): today's visits in order with what was agreed on the call,
the one-tap actions, "running late", who may see whose day; and the board's paged columns."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from leadflow.models import Lead, LeadEvent, Notification
from sales import services as s
from sales.exceptions import TransitionRefused
from sales.models import Visit
from tests.sales.conftest import msk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


@pytest.fixture
def visit_today(people, deals):
    def book(people_, *, at, name, address, rep=None, note="", answers=None):
        return deals.booked_with_summary(at=at, rep=rep, note=note, answers=answers, name=name, address=address)

    return book


def _day(client, user, **params):
    client.force_login(user)
    return client.get(reverse("sales:today"), params)


def test_the_rep_sees_todays_visits_in_order_with_what_was_agreed(client, clock, people, visit_today):
    late = visit_today(people, at=msk(2026, 12, 1, 14, 0), name="Борис Поздний", address="Москва, ул. Лесная, 5")
    early = visit_today(
        people,
        at=msk(2026, 12, 1, 11, 0),
        name="Анна Ранняя",
        address="Москва, Бутово, ул. Южнобутовская, 12, кв. 40",
        note="Ремонт идёт, нужна кухня до потолка",
        answers={"product_type": "custom", "budget": 450000, "timeline": 2},
    )
    visit_today(people, at=msk(2026, 12, 2, 11, 0), name="Завтрашний Клиент", address="Москва, ул. Завтра, 1")
    visit_today(people, at=msk(2026, 12, 1, 11, 0), rep=people["other_rep"], name="Чужой Клиент", address="Москва, 2")

    response = _day(client, people["rep"])
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.visit.pk for row in rows] == [early.pk, late.pk]
    page = response.content.decode()
    assert "Чужой Клиент" not in page and "Завтрашний Клиент" not in page
    first = rows[0]
    # the checklist's answers by their labels and the options' words, never the codes
    assert first.agreed == [("Kitchen", "На заказ по размерам"), ("Budget", "450\u00a0000 ₽"), ("Timeline", "2 мес.")]
    assert first.note == "Ремонт идёт, нужна кухня до потолка" and first.best_time == "после 11"
    assert "product_type" not in page and ">custom<" not in page
    # one-tap actions: call, both map apps with the address as the query, start the measurement
    lead = Lead.objects.get(pk=early.lead_id)
    assert f'href="tel:{lead.phone}"' in page
    address = quote("Москва, Бутово, ул. Южнобутовская, 12, кв. 40")
    assert f'href="https://yandex.ru/maps/?text={address}"' in page
    assert f'href="https://2gis.ru/search/{quote("Москва, Бутово, ул. Южнобутовская, 12, кв. 40", safe="")}"' in page
    assert reverse("sales:measurement", args=[lead.pk]) in page
    assert reverse("sales:running-late", args=[early.pk]) in page


def test_an_empty_day_says_so(client, clock, people):
    response = _day(client, people["rep"])
    assert response.status_code == 200
    assert 'data-testid="day-empty"' in response.content.decode()
    assert "No visits today." in response.content.decode()


def test_previous_and_next_day(client, clock, people, visit_today):
    visit = visit_today(people, at=msk(2026, 12, 2, 11, 0), name="Завтрашний Клиент", address="Москва, 1")
    response = _day(client, people["rep"], day="2026-12-02")
    assert [row.visit.pk for row in response.context["rows"]] == [visit.pk]
    assert response.context["prev_day"].isoformat() == "2026-12-01"
    assert response.context["next_day"].isoformat() == "2026-12-03"


def test_whose_day_a_person_may_open(client, clock, people, visit_today):
    mine = visit_today(people, at=msk(2026, 12, 1, 11, 0), name="Мой Клиент", address="Москва, 1")
    theirs = visit_today(
        people, at=msk(2026, 12, 1, 11, 0), rep=people["other_rep"], name="Чужой Клиент", address="Москва, 2"
    )
    # a rep: only their own day
    assert _day(client, people["rep"], rep=people["other_rep"].pk).status_code == 403
    assert _day(client, people["rep"], rep=people["rep"].pk).status_code == 200
    # the sales manager: a chosen rep's day, or the whole team's
    response = _day(client, people["manager"], rep=people["other_rep"].pk)
    assert [row.visit.pk for row in response.context["rows"]] == [theirs.pk]
    response = _day(client, people["manager"])
    assert {row.visit.pk for row in response.context["rows"]} == {mine.pk, theirs.pk}
    assert _day(client, people["manager"], rep=people["qualifier"].pk).status_code == 403
    # a qualifier is sent to the outcomes of their hand-offs, as on the rest of the board
    response = _day(client, people["qualifier"])
    assert response.status_code == 302 and response["Location"] == reverse("sales:outcomes")


def test_the_day_runs_the_same_queries_for_one_visit_or_three(client, clock, people, visit_today):
    visit_today(people, at=msk(2026, 12, 1, 11, 0), name="Первый", address="Москва, 1", answers={"budget": 400000})
    client.force_login(people["rep"])
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("sales:today"))
    visit_today(people, at=msk(2026, 12, 1, 14, 0), name="Второй", address="Москва, 2", answers={"budget": 500000})
    visit_today(people, at=msk(2026, 12, 1, 17, 0), name="Третий", address="Москва, 3", answers={"timeline": 3})
    with CaptureQueriesContext(connection) as three:
        response = client.get(reverse("sales:today"))
    assert len(response.context["rows"]) == 3
    assert len(three) == len(one)


# --- running late ---------------------------------------------------------------------------------


def _late(client, user, visit, minutes):
    client.force_login(user)
    return client.post(reverse("sales:running-late", args=[visit.pk]), {"minutes": minutes})


def test_running_late_records_it_on_the_deal_and_tells_the_qualifier_and_the_manager(
    client, clock, people, visit_today
):
    visit = visit_today(people, at=msk(2026, 12, 1, 11, 0), name="Анна Ранняя", address="Москва, ул. Лесная, 5")
    Notification.objects.all().delete()
    response = _late(client, people["rep"], visit, 15)
    assert response.status_code == 302 and response["Location"] == reverse("sales:today")

    visit.refresh_from_db()
    assert visit.late_minutes == 15 and visit.late_reported_at is not None
    rows = StateLog.objects.filter(object_id=visit.lead_id, transition=LeadEvent.VISIT_RUNNING_LATE)
    assert rows.count() == 1
    assert "15 min late" in rows.get().description and "Москва, ул. Лесная, 5" in rows.get().description
    told = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    assert set(told) == {"qualifier", "manager"}
    assert told["qualifier"].url == reverse("qualification:lead", args=[visit.lead_id])
    assert told["manager"].url == reverse("sales:deal", args=[visit.lead_id])
    assert "15 min late" in told["qualifier"].text

    # a double tap records nothing more; a new delay is a new row and a new notification
    _late(client, people["rep"], visit, 15)
    assert rows.count() == 1 and Notification.objects.count() == 2
    _late(client, people["rep"], visit, 30)
    assert rows.count() == 2 and Notification.objects.count() == 4
    page = _day(client, people["rep"]).content.decode()
    assert 'data-testid="late-badge"' in page


def test_running_late_is_refused_to_others_and_outside_a_booked_visit(client, clock, people, visit_today):
    visit = visit_today(people, at=msk(2026, 12, 1, 11, 0), name="Анна", address="Москва, 1")
    assert _late(client, people["other_rep"], visit, 15).status_code == 403
    assert _late(client, people["qualifier"], visit, 15).status_code == 403
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.DONE)
    with pytest.raises(TransitionRefused):
        s.visit_report_late(visit_id=visit.pk, actor=people["rep"], minutes=15)
    with pytest.raises(TransitionRefused):
        s.visit_report_late(visit_id=visit.pk, actor=people["rep"], minutes=500)
    assert not StateLog.objects.filter(transition=LeadEvent.VISIT_RUNNING_LATE).exists()


def test_a_rep_lands_on_their_day_and_the_reminders_link_to_it(client, clock, people):
    from leadflow import links

    client.force_login(people["rep"])
    assert client.get("/")["Location"] == reverse("sales:today") == "/board/today/"
    client.force_login(people["manager"])
    assert client.get("/")["Location"] == reverse("sales:index")
    assert links.today_url() == "/board/today/"


# --- the board's paged columns ----------------------------------------------------------------------


def test_show_more_loads_the_next_cards_of_a_column(client, clock, people, deals, monkeypatch):
    from sales import selectors

    monkeypatch.setitem(selectors.COLUMN_PAGE, "new", 2)
    leads = [deals.handed_off(name=f"Клиент {n}") for n in range(5)]
    deals.handed_off(rep=people["other_rep"], name="Чужой Клиент")
    client.force_login(people["rep"])
    board = client.get(reverse("sales:index"))
    new = next(c for c in board.context["columns"] if c.key == "new")
    assert new.total == 5 and [c.lead.pk for c in new.cards] == [leads[0].pk, leads[1].pk]
    page = board.content.decode()
    assert 'data-testid="more-new"' in page and "/board/column/new/?offset=2" in page

    part = client.get(reverse("sales:board-column", args=["new"]), {"offset": 2}, HTTP_HX_REQUEST="true")
    assert [c.lead.pk for c in part.context["cards"]] == [leads[2].pk, leads[3].pk]
    assert "<html" not in part.content.decode() and "offset=4" in part.content.decode()
    last = client.get(reverse("sales:board-column", args=["new"]), {"offset": 4}, HTTP_HX_REQUEST="true")
    assert [c.lead.pk for c in last.context["cards"]] == [leads[4].pk]
    assert 'data-testid="more-new"' not in last.content.decode()
    # without htmx: a page of its own; another rep's cards never show; a made-up column is a 404
    full = client.get(reverse("sales:board-column", args=["new"]), {"offset": 2})
    assert "<html" in full.content.decode() and "Чужой Клиент" not in full.content.decode()
    assert client.get(reverse("sales:board-column", args=["nope"])).status_code == 404
    assert client.get(reverse("sales:board-column", args=["new"]), {"rep": people["other_rep"].pk}).status_code == 403


def test_the_phone_board_opens_on_the_asked_column(client, clock, people, deals):
    deals.handed_off(name="Клиент")
    client.force_login(people["rep"])
    assert client.get(reverse("sales:index")).context["active_column"] == "new"
    assert client.get(reverse("sales:index"), {"column": "won"}).context["active_column"] == "won"
    assert client.get(reverse("sales:index"), {"column": "junk"}).context["active_column"] == "new"


# --- the calendar as a day agenda --------------------------------------------------------------------


def test_the_calendar_has_a_day_agenda_with_previous_and_next_day(client, clock, people, visit_today):
    visit = visit_today(people, at=msk(2026, 12, 3, 11, 0), name="Четверговый Клиент", address="Москва, 1")
    client.force_login(people["rep"])
    response = client.get(reverse("sales:calendar"), {"day": "2026-12-03", "view": "day"})
    assert [v.pk for v in response.context["agenda"]] == [visit.pk]
    assert response.context["start"].isoformat() == "2026-11-30"  # the week of that day
    page = response.content.decode()
    assert "calendar-day-view" in page and "?day=2026-12-02" in page and "?day=2026-12-04" in page
    today = client.get(reverse("sales:calendar"))
    assert today.context["agenda_day"].isoformat() == "2026-12-01" and today.context["agenda"] == []
