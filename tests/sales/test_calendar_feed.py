"""The rep's private calendar feed: a secret link stored hashed, stable UIDs, SEQUENCE on reschedule,
STATUS:CANCELLED on cancellation; and the visit reminders' link to the rep's day."""

import pytest
from django.urls import resolve, reverse
from icalendar import Calendar

from leadflow import links
from leadflow.models import Notification
from sales import services as s
from sales.models import CalendarFeed, Visit
from tests.factories import reason
from tests.sales.conftest import msk

pytestmark = pytest.mark.django_db


def _token(client, user):
    client.force_login(user)
    response = client.post(reverse("sales:calendar-feed-rotate"))
    assert response.status_code == 302 and response.url == reverse("sales:calendar-feed")
    page = client.get(reverse("sales:calendar-feed")).content.decode()
    prefix = "http://localhost:8000/board/calendar/feed/"
    start = page.index(prefix) + len(prefix)
    return page[start : page.index(".ics", start)]


def _events(client, token):
    response = client.get(reverse("sales:calendar-feed-ics", args=[token]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_the_reps_visits_with_address_client_and_deal_link(client, clock, people, deals):
    mine = deals.scheduled(name="Анна Смирнова", address="Москва, ул. Южнобутовская, 12", phone="+79161234567")
    deals.scheduled(rep=people["other_rep"], name="Чужой клиент", starts_at=msk(2026, 12, 2, 15, 0))
    token = _token(client, people["rep"])
    client.logout()  # a calendar app has no session: the link is the key
    calendar, events = _events(client, token)
    assert str(calendar["x-wr-calname"]) == "Замеры — Иван Продажин"  # Russian whatever the app's language
    assert len(events) == 1
    (event,) = events.values()
    visit = Visit.objects.get(lead=mine)
    assert str(event["uid"]) == f"visit-{visit.series}@leadflow"
    assert str(event["summary"]) == "Замер: Анна Смирнова"
    assert str(event["location"]) == "Москва, ул. Южнобутовская, 12"
    assert event.decoded("dtstart") == msk(2026, 12, 2, 11, 0)
    assert event.decoded("dtend") == visit.ends_at
    deal_link = f"http://localhost:8000/board/deal/{mine.pk}/"
    assert str(event["url"]) == deal_link
    assert deal_link in str(event["description"]) and "+79161234567" in str(event["description"])
    assert str(event["status"]) == "CONFIRMED" and event["sequence"] == 0


def test_a_reschedule_moves_the_same_event_and_raises_its_sequence(client, clock, people, deals):
    lead = deals.scheduled()
    token = _token(client, people["rep"])
    _calendar, before = _events(client, token)
    visit = Visit.objects.get(lead=lead)
    s.visit_reschedule(visit_id=visit.pk, actor=people["rep"], starts_at=msk(2026, 12, 3, 15, 0))
    _calendar, after = _events(client, token)
    assert list(after) == list(before)  # the same UID: the phone moves the event, no duplicate
    (event,) = after.values()
    assert event.decoded("dtstart") == msk(2026, 12, 3, 15, 0) and event["sequence"] == 1
    moved = Visit.objects.get(lead=lead, status=Visit.Status.SCHEDULED)
    s.visit_reschedule(visit_id=moved.pk, actor=people["rep"], starts_at=msk(2026, 12, 4, 12, 0))
    _calendar, again = _events(client, token)
    assert list(again) == list(before) and next(iter(again.values()))["sequence"] == 2


def test_a_cancelled_visit_stays_in_the_feed_as_cancelled_with_a_higher_sequence(client, clock, people, deals):
    lead = deals.scheduled()
    token = _token(client, people["rep"])
    s.lead_lose(lead_id=lead.pk, actor=people["rep"], reason=reason("lose", "competitor"))
    _calendar, events = _events(client, token)
    (event,) = events.values()
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == 1


def test_a_visit_moved_to_another_rep_is_cancelled_in_the_old_feed_and_appears_in_the_new(client, clock, people, deals):
    lead = deals.scheduled()
    old_token = _token(client, people["rep"])
    new_token = _token(client, people["other_rep"])
    client.force_login(people["manager"])
    s.deal_reassign(
        lead_id=lead.pk, actor=people["manager"], sales_rep=people["other_rep"], visit_starts_at=msk(2026, 12, 2, 16, 0)
    )
    _calendar, old = _events(client, old_token)
    _calendar, new = _events(client, new_token)
    assert list(old) == list(new)  # one visit, one UID in both calendars
    assert str(next(iter(old.values()))["status"]) == "CANCELLED"
    event = next(iter(new.values()))
    assert str(event["status"]) == "CONFIRMED" and event.decoded("dtstart") == msk(2026, 12, 2, 16, 0)
    assert next(iter(old.values()))["sequence"] == event["sequence"]


def test_the_link_is_stored_hashed_shown_once_and_rotated(client, clock, people, deals):
    deals.scheduled()
    token = _token(client, people["rep"])
    feed = CalendarFeed.objects.get(user=people["rep"])
    assert token not in feed.token_hash and token.startswith("cal_") and len(token) > 40
    page = client.get(reverse("sales:calendar-feed")).content.decode()
    assert token not in page and "Создать новую ссылку" in page  # shown once, after it was made
    assert client.get(reverse("sales:calendar-feed-ics", args=[token])).status_code == 200
    new_token = _token(client, people["rep"])
    assert new_token != token
    assert client.get(reverse("sales:calendar-feed-ics", args=[token])).status_code == 404
    assert client.get(reverse("sales:calendar-feed-ics", args=[new_token])).status_code == 200
    assert client.get(reverse("sales:calendar-feed-ics", args=["cal_guess"])).status_code == 404
    assert client.head(reverse("sales:calendar-feed-ics", args=[new_token])).status_code == 200  # apps probe first
    assert client.post(reverse("sales:calendar-feed-ics", args=[new_token])).status_code == 405
    people["rep"].is_active = False
    people["rep"].save()
    assert client.get(reverse("sales:calendar-feed-ics", args=[new_token])).status_code == 404


def test_the_feed_page_explains_the_phone_calendars_in_russian(client, people):
    client.force_login(people["rep"])
    page = client.get(reverse("sales:calendar-feed"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    for words in ("Яндекс Календарь", "Google Календарь", "iPhone (Календарь Apple)", "Получить ссылку на календарь"):
        assert words in page
    assert reverse("sales:calendar-feed") in client.get(reverse("sales:calendar")).content.decode()


def test_the_feed_reads_in_a_constant_number_of_queries(client, clock, people, deals, django_assert_num_queries):
    token = _token(client, people["rep"])
    for day in (2, 3, 4):
        deals.scheduled(starts_at=msk(2026, 12, day, 11, 0))
    client.logout()
    _events(client, token)  # the first read notes when a calendar read it (then once an hour)
    with django_assert_num_queries(2):  # the feed by its hash, the visits with their leads
        _events(client, token)


def test_visit_reminders_link_to_the_reps_day(clock, people, deals):
    deals.scheduled(starts_at=msk(2026, 12, 2, 11, 0))
    assert s.visit_reminders_evening(now=msk(2026, 12, 1, 19, 0)) == 1
    assert s.visit_reminders_morning(now=msk(2026, 12, 2, 8, 0)) == 1
    urls = set(Notification.objects.filter(kind=Notification.Kind.VISIT_REMINDER).values_list("url", flat=True))
    assert urls == {links.today_url()}
    assert resolve(links.today_url()).view_name in ("sales:today", "sales:calendar")  # the day page once it exists


def test_the_migration_gives_each_existing_chain_of_visits_one_series(clock, people, deals):
    """Visits booked before the feed existed: a reschedule chain becomes one series (one event)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sales.migrations.0005_measurement_kit_photos_calendar_feed")
    lead = deals.scheduled()
    first = Visit.objects.get(lead=lead)
    s.visit_reschedule(visit_id=first.pk, actor=people["rep"], starts_at=msk(2026, 12, 3, 15, 0))
    other = Visit.objects.get(lead=deals.scheduled(starts_at=msk(2026, 12, 4, 12, 0)))
    Visit.objects.update(sequence=0)
    for visit in Visit.objects.all():  # as the rows were: every one its own (or the same) value
        Visit.objects.filter(pk=visit.pk).update(series=other.series)
    migration.number_visit_series(apps, None)
    moved = Visit.objects.get(rescheduled_from=first)
    first_row, lone = Visit.objects.get(pk=first.pk), Visit.objects.get(pk=other.pk)
    assert first_row.series == moved.series != lone.series
    assert (first_row.sequence, moved.sequence, lone.sequence) == (0, 1, 0)
