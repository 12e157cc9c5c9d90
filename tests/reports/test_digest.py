"""The weekly digest (issue 13 §3) on the hand-computed data set of tests/reports/dataset.py.

The week of Monday 10.03.2025 against the week of 03.03 (Moscow): L10 was received in it, L1 and L2 were
won in it, L10 handed off and its dispute upheld; L1…L9 were received the week before.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from leadflow.models import Notification
from reports.access import report_scope
from reports.models import PilotTarget
from reports.selectors import Period, ReportFilter, funnel, handoff_quality, lead_base, speed, won_revenue
from reports.selectors.digest import weekly_digest
from reports.services import weekly_digest_send
from reports.tasks import weekly_digest as weekly_digest_task

from . import dataset

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
WEEK = date(2025, 3, 10)
# the Monday after the week, 09:00 Moscow: when beat sends it
SENT_AT = datetime(2025, 3, 17, 9, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


@pytest.fixture
def data(db):
    with time_machine.travel(SENT_AT, tick=False):
        yield dataset.build()


def send(django_capture_on_commit_callbacks, week=WEEK):
    with django_capture_on_commit_callbacks(execute=True):
        return weekly_digest_send(week_start=week)


def by_key(rows):
    return {row["key"]: row for row in rows}


def test_the_director_leads_and_managers_get_it_qualifiers_and_reps_do_not(data, django_capture_on_commit_callbacks):
    people = data["people"]
    sent = send(django_capture_on_commit_callbacks)

    assert {user.username for user in sent} == {"director", "qlead", "manager"}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "director@example.com",
        "manager@example.com",
        "qlead@example.com",
    ]
    for name in ("q1", "q2", "r1", "r2"):
        assert not Notification.objects.filter(recipient=people[name]).exists()
    notification = Notification.objects.get(recipient=people["director"])
    assert notification.kind == Notification.Kind.DIGEST
    assert notification.dedupe_key == f"digest:{people['director'].pk}:2025-03-10"


def test_an_inactive_director_gets_nothing(data, django_capture_on_commit_callbacks):
    director = data["people"]["director"]
    director.is_active = False
    director.save()
    assert "director" not in {user.username for user in send(django_capture_on_commit_callbacks)}


def test_the_directors_figures_by_hand(data):
    rows = by_key(weekly_digest(week_start=WEEK, scope=report_scope(data["people"]["director"]), now=SENT_AT))
    figures = {key: (row["value"], row["previous"], row["change"]) for key, row in rows.items()}
    assert figures["leads"] == (1, 9, -8)  # L10 | L1…L9
    # L10 called at +3 ≤ 15 | within 15 min: L1 L2 L4 L6 L9 of the 9 decided (L7 past its breach)
    value, previous, change = figures["warn_share"]
    assert (value, previous, change) == (pytest.approx(1.0), pytest.approx(5 / 9), pytest.approx(4 / 9))
    # 3 min | calls 4 5 5 10 12 20 21 30 → (10 + 12) / 2 = 11 min
    assert figures["first_call_p50_min"] == (pytest.approx(3.0), pytest.approx(11.0), pytest.approx(-8.0))
    assert figures["qualified"] == (1, 4, -3)  # L10 | L1 L2 L3 L4
    # hand-offs made − disputes upheld: L10 + its upheld dispute − 1 = 1 | L1 L2 L3 L4 + L9's − 1 = 4
    assert figures["handed_off_net"] == (1, 4, -3)
    assert figures["upheld"] == (1, 1, 0)  # L10 | L9
    assert figures["measured"] == (1, 3, -2)  # L10 on 12.03 | L1 L2 L3
    assert figures["won"] == (2, 0, 2)  # L1 10.03, L2 12.03 by deal date | none
    assert figures["revenue"] == (Decimal("600000"), 0, Decimal("600000"))
    assert rows["first_call_p50_min"]["better"] is True  # lower is better
    assert rows["leads"]["better"] is False
    assert rows["upheld"]["better"] is None
    assert all(row["target"] is None for row in rows.values())


@pytest.mark.parametrize("who", ["director", "qlead", "manager"])
def test_the_figures_are_the_dashboards_figures_in_the_recipients_scope(data, who):
    scope = report_scope(data["people"][who])
    rows = by_key(weekly_digest(week_start=WEEK, scope=scope, now=SENT_AT))
    for start, column in ((WEEK, "value"), (WEEK - timedelta(days=7), "previous")):
        period = Period(
            datetime(start.year, start.month, start.day, tzinfo=MSK),
            datetime(start.year, start.month, start.day, tzinfo=MSK) + timedelta(days=7),
        )
        report_filter = ReportFilter(period=period)
        received = lead_base(report_filter=report_filter, scope=scope)
        funnel_total = funnel(leads=received)["total"]
        speed_total = speed(leads=received, now=SENT_AT)["total"]
        handoffs = handoff_quality(report_filter=report_filter, scope=scope)["reconciliation"]
        won = won_revenue(report_filter=report_filter, scope=scope, basis="event")
        measured = lead_base(report_filter=report_filter, scope=scope, date_field="measured_at").count()
        assert rows["leads"][column] == funnel_total["received"]
        assert rows["qualified"][column] == funnel_total["qualified"]
        assert rows["warn_share"][column] == speed_total["warn_share"]
        assert rows["first_call_p50_min"][column] == speed_total["first_call_p50_min"]
        assert rows["handed_off_net"][column] == handoffs["net"]
        assert rows["upheld"][column] == handoffs["upheld"]
        assert rows["measured"][column] == measured
        assert rows["won"][column] == won["won"]
        assert rows["revenue"][column] == (won["revenue"] or 0)


def test_a_rerun_sends_nothing_twice(data, django_capture_on_commit_callbacks):
    assert len(send(django_capture_on_commit_callbacks)) == 3
    assert len(mail.outbox) == 3
    assert send(django_capture_on_commit_callbacks) == []
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST).count() == 3
    # another week is another digest
    assert len(send(django_capture_on_commit_callbacks, week=WEEK - timedelta(days=7))) == 3


def test_the_links_open_the_dashboards_on_the_week(data, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://crm.example.ru"
    send(django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == ["director@example.com"])
    html = message.alternatives[0][0]
    for name in ("funnel", "speed", "handoff", "sales"):
        link = (
            f"https://crm.example.ru{reverse(f'reports:{name}')}?preset=custom&amp;start=2025-03-10&amp;end=2025-03-16"
        )
        assert link in html
        assert link.replace("&amp;", "&") in message.body
    notification = Notification.objects.get(recipient=data["people"]["director"])
    url = urlsplit(notification.url)
    assert url.path == reverse("reports:funnel")
    assert parse_qs(url.query) == {"preset": ["custom"], "start": ["2025-03-10"], "end": ["2025-03-16"]}


def test_the_linked_dashboard_shows_the_week(data, django_capture_on_commit_callbacks, client):
    send(django_capture_on_commit_callbacks)
    director = data["people"]["director"]
    client.force_login(director)
    with time_machine.travel(SENT_AT, tick=False):
        response = client.get(Notification.objects.get(recipient=director).url)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.cleaned_data["start"] == date(2025, 3, 10)
    assert form.cleaned_data["end"] == date(2025, 3, 16)


def test_the_pilot_target_is_the_third_column_when_set(data, django_capture_on_commit_callbacks):
    PilotTarget.objects.create(figure="won", value=Decimal("3"), valid_from=date(2025, 3, 1))
    PilotTarget.objects.create(
        figure="won", value=Decimal("9"), valid_from=date(2025, 1, 1), valid_to=date(2025, 2, 28)
    )
    PilotTarget.objects.create(figure="leads", value=Decimal("50"), valid_from=date(2025, 3, 17))  # later week
    rows = by_key(weekly_digest(week_start=WEEK, scope=report_scope(data["people"]["director"]), now=SENT_AT))
    assert rows["won"]["target"] == Decimal("3")
    assert rows["leads"]["target"] is None
    send(django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == ["director@example.com"])
    assert "Цель пилота" in message.alternatives[0][0]
    assert "Выиграно (по дате сделки): 2 (неделей ранее 0, +2); цель 3" in message.body


def test_the_email_is_in_russian_whatever_the_active_language(data, django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == ["director@example.com"])
    assert message.subject == "Еженедельная сводка 10.03 – 16.03.2025"
    body = message.body
    assert "Ключевые показатели недели 10.03.2025 – 16.03.2025 в сравнении с неделей с 03.03:" in body
    assert "Получено лидов: 1 (неделей ранее 9, -8)" in body
    assert "Квалифицировано (из поступивших): 1 (неделей ранее 4, -3)" in body
    assert "Выручка (по дате сделки): 600\xa0000 ₽ (неделей ранее 0 ₽, +600\xa0000 ₽)" in body
    assert "+44,4 п. п." in body  # 100 % − 5/9
    assert "-8,0 мин" in body  # 3 − 11 min
    for english in ("Weekly digest", "Hello", "Key figures", "week before", "Dashboards", "Leads received"):
        assert english not in body and english not in message.alternatives[0][0]
    assert "Позвонили в течение 15 мин (доля)" in message.alternatives[0][0]


def test_queries_are_bounded_per_recipient(data, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    # the recipients and the targets; then per recipient at most 19: the scope (roles, team, feeding
    # teams), the dedupe check, 2 weeks × 6 figure queries, the notification's get_or_create
    with django_assert_max_num_queries(2 + 3 * 19):
        send(django_capture_on_commit_callbacks)
    # a rerun only checks who had it: no figures are computed
    with django_assert_max_num_queries(2 + 3 * 4):
        send(django_capture_on_commit_callbacks)


def test_the_task_sends_last_week_and_is_safe_to_run_twice(data, django_capture_on_commit_callbacks):
    with time_machine.travel(SENT_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert weekly_digest_task() == 3
        assert weekly_digest_task() == 0
    assert Notification.objects.filter(dedupe_key__endswith=":2025-03-10").count() == 3


def test_the_command_dry_run_prints_and_sends_nothing(data):
    out = StringIO()
    call_command("send_weekly_digest", "--week", "2025-03-10", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "== director <director@example.com>" in text
    assert "== roman" not in text
    assert "dry run, nothing sent" in text
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_beat_sends_it_on_mondays_at_nine_moscow(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-digest"]
    assert entry["task"] == "reports.tasks.weekly_digest"
    schedule = entry["schedule"]
    assert schedule.day_of_week == {1} and schedule.hour == {9} and schedule.minute == {0}
    assert settings.CELERY_TIMEZONE == "Europe/Moscow"
