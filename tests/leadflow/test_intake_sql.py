"""Intake on PostgreSQL in one round trip (leadflow/services/intake_sql.py, issue 14 §1): the same answer,
the same lead, inquiry and history rows as the ORM path, field by field, in every case intake knows."""

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_fsm_log.models import StateLog

from leadflow import services
from leadflow.models import Inquiry, Lead, LeadStatus
from leadflow.services import intake
from tests.factories import qualification_team, source

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NOW = datetime(2026, 3, 2, 5, 55, tzinfo=UTC)  # Monday 8:55 in Moscow: the deadlines start at 9:00
LEAD_FIELDS = [f.attname for f in Lead._meta.concrete_fields]
ROW_FIELDS = [name for name in LEAD_FIELDS if name != "id"]
INQUIRY_FIELDS = [f.attname for f in Inquiry._meta.concrete_fields if f.name not in ("id", "lead")]
HISTORY_FIELDS = [f.attname for f in StateLog._meta.concrete_fields if f.name not in ("id", "object_id")]
FULL = {
    "name": "Анна Смирнова",
    "email": "anna@example.com",
    "city": "Москва",
    "region": "Московская область",
    "utm_source": "yandex",
    "utm_medium": "cpc",
    "utm_campaign": "spring",
    "product_interest": "custom",
    "language": "ru",
    "message": "Угловая кухня, 3.2 м",
}
CONSENT = {
    "consent_at": NOW - timedelta(minutes=1),
    "consent_basis": "",
    "consent_policy": "https://example.com/privacy-v3",
}


def _receive(path, **delivery):
    """One delivery through `path` in a savepoint that is rolled back: (kind, the returned lead's fields,
    its row, the inquiries and history rows written), so both paths start from the same state."""
    leads_before = set(Lead.objects.values_list("pk", flat=True))
    inquiries_before = set(Inquiry.objects.values_list("pk", flat=True))
    history_before = set(StateLog.objects.values_list("pk", flat=True))
    with transaction.atomic():
        result = path(**delivery)
        kind = next(name for name in ("created", "attached", "duplicate") if getattr(result, name))
        lead = result.lead
        # what the API answers from the result without building the lead is the lead's
        assert (result.lead_id, result.status, result.received_at) == (lead.pk, lead.status, lead.received_at)
        returned = {name: getattr(lead, name) for name in LEAD_FIELDS}
        new_lead = lead.pk not in leads_before
        row = Lead.objects.filter(pk=lead.pk).values(*LEAD_FIELDS).get()
        inquiries = list(
            Inquiry.objects.exclude(pk__in=inquiries_before).order_by("pk").values("lead_id", *INQUIRY_FIELDS)
        )
        history = list(
            StateLog.objects.exclude(pk__in=history_before).order_by("pk").values("object_id", *HISTORY_FIELDS)
        )
        transaction.set_rollback(True)
    if new_lead:  # the id is the sequence's next value: each path takes its own
        assert [item["lead_id"] for item in inquiries] == [lead.pk]
        assert [item["object_id"] for item in history] == [lead.pk]
        returned.pop("id"), row.pop("id")
        for item in (*inquiries, *history):
            item.pop("lead_id", None), item.pop("object_id", None)
    return kind, returned, row, inquiries, history


def _both(**delivery):
    base = {
        "source": source("website"),
        "external_id": "",
        "channel": "api",
        "received_at": NOW,
        "payload": {"phone": delivery.get("phone", ""), "note": "как пришло"},
        "consent": {"consent_at": None, "consent_basis": "", "consent_policy": ""},
        "fields": {},
        **delivery,
    }
    fast = _receive(intake._lead_receive_one_round_trip, **base)
    orm = _receive(intake._lead_receive, **base)
    return fast, orm


@pytest.fixture
def hours_team():
    """Working hours 9–18 on weekdays, so the deadlines are computed through the calendar."""
    from leadflow.models import WorkingHours

    team = qualification_team(time_zone="Europe/Moscow", skip_public_holidays=False)
    WorkingHours.objects.filter(team=team).delete()
    for weekday in range(5):
        WorkingHours.objects.create(team=team, weekday=weekday, opens_at=time(9), closes_at=time(18))
    return team


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "inline"])
@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "delivery",
    [
        pytest.param({"phone": "+79123456789"}, id="phone-only"),
        pytest.param({"phone": "+79123456789", "external_id": "order-1", "fields": FULL}, id="every-field"),
        pytest.param(
            {
                "phone": "+79123456789",
                "channel": "form",
                "fields": {**FULL, "product_interest": ""},
                "consent": CONSENT,
            },
            id="form-with-consent",
        ),
        pytest.param({"phone": "+79123456789", "fields": {"name": None, "city": ""}}, id="none-and-blank"),
        pytest.param({"phone": "+79123456789", "channel": "import", "payload": {"строка": 7}}, id="import"),
        pytest.param(
            {
                "phone": "+79123456789",
                "external_id": "100% 'x'",
                # another zone, microseconds: the document carries ISO 8601 with the offset
                "received_at": datetime(2026, 3, 1, 23, 59, 59, 123456, tzinfo=ZoneInfo("Asia/Vladivostok")),
                "fields": {"name": 'O\'Brien "100%" \\ 😀', "message": "строка\nвторая\t%s %(x)s", "region": ""},
                "payload": {"вложено": {"список": [1, 2.5, True, None, "'"]}, "%s": "%(name)s"},
            },
            id="odd-values",
        ),
    ],
)
def test_a_new_lead_is_the_same_row_as_the_orm_path_writes(hours_team, language, delivery, prepared, settings):
    settings.INTAKE_PREPARED_STATEMENT = prepared
    with time_machine.travel(NOW, tick=False), translation.override(language):
        fast, orm = _both(**delivery)
    assert fast[0] == "created"
    assert fast == orm
    kind, returned, row, inquiries, history = fast
    assert returned == row  # the lead handed back is the row saved
    opening = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 9:00 in Moscow
    assert row["sla_warn_at"] == opening + timedelta(minutes=hours_team.sla_warn_minutes)
    assert row["sla_breach_at"] == opening + timedelta(minutes=hours_team.sla_breach_minutes)
    assert [item["transition"] for item in history] == ["received"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_repeat_attaches_to_the_open_lead_as_the_orm_path_does(hours_team, language):
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        first = services.lead_receive(source=source("website"), phone="+79123456789", external_id="first").lead
    Lead.objects.filter(pk=first.pk).update(status=LeadStatus.QUALIFYING, updated_at=NOW - timedelta(minutes=30))
    with time_machine.travel(NOW, tick=False), translation.override(language):
        fast, orm = _both(phone="+79123456789", external_id="second", source=source("avito"), fields=FULL)
    assert fast[0] == "attached"
    assert fast == orm
    kind, returned, row, inquiries, history = fast
    assert returned["id"] == first.pk and row["status"] == LeadStatus.QUALIFYING
    assert [(item["lead_id"], item["is_repeat"]) for item in inquiries] == [(first.pk, True)]
    assert [(item["object_id"], item["transition"], item["state"]) for item in history] == [
        (first.pk, "repeat_inquiry", "qualifying")
    ]


def test_a_redelivery_is_the_first_lead_and_writes_nothing(hours_team):
    first = services.lead_receive(source=source("website"), phone="+79123456789", external_id="order-1").lead
    Lead.objects.filter(pk=first.pk).update(status=LeadStatus.DISQUALIFIED, updated_at=NOW)
    with time_machine.travel(NOW, tick=False):
        fast, orm = _both(phone="+79990000000", external_id="order-1")
    assert fast == orm
    kind, returned, row, inquiries, history = fast
    assert (kind, returned["id"], inquiries, history) == ("duplicate", first.pk, [], [])


def test_a_closed_or_archived_lead_is_not_reopened_a_new_one_is(hours_team):
    closed = services.lead_receive(source=source("website"), phone="+79123456789").lead
    archived = services.lead_receive(source=source("website"), phone="+79123450000").lead
    Lead.objects.filter(pk=closed.pk).update(status=LeadStatus.LOST, updated_at=NOW)
    Lead.objects.filter(pk=archived.pk).update(is_archived=True, updated_at=NOW)
    with time_machine.travel(NOW, tick=False):
        for phone in ("+79123456789", "+79123450000"):
            fast, orm = _both(phone=phone)
            assert fast[0] == "created" and fast == orm


def test_too_long_a_value_is_refused_as_by_the_orm_not_cut(hours_team):
    """The statement casts strings to text, so the column's own length check refuses an over-long value."""
    with pytest.raises(DataError), transaction.atomic():
        intake._lead_receive_one_round_trip(
            source=source("website"),
            phone="+79123456789",
            external_id="",
            channel="api",
            received_at=NOW,
            payload={},
            consent={"consent_at": None, "consent_basis": "", "consent_policy": ""},
            fields={"city": "Ы" * 1000},
        )
    assert not Lead.objects.filter(phone="+79123456789").exists()


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_a_new_lead_is_one_round_trip(transactional_db):
    """Outside a transaction the lock, the checks and the three INSERTs are one query string, run as one
    implicit transaction: nothing else reaches the database (but the statement's PREPARE, once per
    connection and again every REPLAN_EVERY runs)."""
    qualification_team()
    website = source("website")
    # team and calendar into the process cache, the statement prepared on this connection
    services.lead_receive(source=website, phone="+79120000000", external_id="order-0")
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured:
        created = services.lead_receive(source=website, phone="+79123456789", external_id="order-1")
    statements = [query["sql"] for query in captured.captured_queries]
    assert created.created
    assert [sql for sql in statements if not sql.startswith(("PREPARE ", "DEALLOCATE "))] == statements[-1:]
    assert statements[-1].startswith("SELECT pg_advisory_xact_lock(")
    assert Inquiry.objects.get(external_id="order-1").lead_id == created.lead.pk
    assert StateLog.objects.filter(object_id=created.lead.pk, transition="received").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_raced_external_id_rolls_the_whole_statement_back_and_answers_with_the_winner(transactional_db):
    """Two deliveries of one external id from two phones (two locks): the second's check runs before the
    first commits, so only the inquiry's unique index can stop it. It waits on that index; when the first
    commits, its statement fails and takes its new lead with it; intake answers with the first's lead."""
    qualification_team()
    website = source("website")
    services.lead_receive(source=website, phone="+79120000000")  # warm the process cache
    first_holds, results = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = services.lead_receive(source=website, phone="+79111111111", external_id="x-1")
                first_holds.set()
                _wait_until_a_backend_waits_for_a_lock()
        finally:
            first_holds.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_holds.wait(10)
    leads_before = Lead.objects.count()
    second = services.lead_receive(source=website, phone="+79122222222", external_id="x-1")
    thread.join(10)
    assert results["first"].created
    assert second.duplicate and second.lead.pk == results["first"].lead.pk
    assert Lead.objects.count() == leads_before + 1  # the first's lead (uncommitted when counted) only
    assert not Lead.objects.filter(phone="+79122222222").exists()
    assert Inquiry.objects.filter(external_id="x-1").count() == 1


def _wait_until_a_backend_waits_for_a_lock():
    for _ in range(1000):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        threading.Event().wait(0.01)
    raise AssertionError("the second delivery never waited on the first's inquiry")


def test_the_statement_is_prepared_once_per_connection_and_again_when_the_session_lost_it(hours_team):
    website = source("website")
    with CaptureQueriesContext(connection) as captured:
        for n in range(3):
            services.lead_receive(source=website, phone=f"+7912345670{n}", external_id=f"p-{n}")
    prepares = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("PREPARE ")]
    assert len(prepares) <= 1  # none when an earlier test of this session prepared it
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler's DISCARD ALL or another server session leaves
    with CaptureQueriesContext(connection) as captured:
        again = services.lead_receive(source=website, phone="+79123456799", external_id="p-9")
    statements = [query["sql"].split(" ", 1)[0] for query in captured.captured_queries]
    assert statements.count("PREPARE") == 1, statements
    assert again.created
    assert Lead.objects.filter(phone="+79123456799").count() == 1
    assert Inquiry.objects.filter(external_id="p-9").count() == 1
