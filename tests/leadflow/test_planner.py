"""Plans that do not depend on luck: JIT off for our connections, the history index the lead card reads
by, and ANALYZE after every bulk write of ours (seed, import)."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django_fsm_log.models import StateLog

from leadflow import db, importing
from leadflow.models import Inquiry, Lead
from qualification import selectors
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_postgresql_connections_have_jit_off():
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor != "postgresql":
        assert "jit" not in str(options)  # SQLite has no JIT and takes no such option
        return
    assert "-c jit=off" in options["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def _indexes_of_statelog():
    with connection.cursor() as cursor:
        return {
            name: info["columns"]
            for name, info in connection.introspection.get_constraints(cursor, StateLog._meta.db_table).items()
            if info["index"]
        }


def test_the_history_has_an_index_on_content_type_and_object():
    assert _indexes_of_statelog()["statelog_ct_object_idx"] == ["content_type_id", "object_id"]


@pytest.mark.postgres
def test_the_lead_cards_history_query_finds_the_lead_by_an_index_not_by_its_content_type():
    """At 1M leads the card read every history row of the lead content type (5.9M) for want of an index
    on (content_type_id, object_id): the plan must find the lead's rows by an index condition on
    object_id (the composite, or django-fsm-log's own object_id index), never filter the content type."""
    lead = LeadFactory()
    # a history of other leads, analysed: on an empty table every index costs the same and the
    # planner's pick is arbitrary
    others = LeadFactory.create_batch(20)
    content_type = ContentType.objects.get_for_model(Lead)
    StateLog.objects.bulk_create(
        StateLog(content_type=content_type, object_id=other.pk, transition="claim", state="x", source_state="y")
        for other in others
        for _ in range(20)
    )
    sql, params = selectors.lead_history(lead=lead).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {StateLog._meta.db_table}")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(r"Index Cond: \(.*object_id = ", plan), plan
    assert "Seq Scan on django_fsm_log_statelog" not in plan, plan


def test_the_index_migration_can_be_reversed_and_applied_again(transactional_db):
    call_command("migrate", "leadflow", "0014", verbosity=0)
    assert "statelog_ct_object_idx" not in _indexes_of_statelog()
    call_command("migrate", verbosity=0)  # every app: going back also unapplied the later migrations that depend on it
    assert "statelog_ct_object_idx" in _indexes_of_statelog()


def _rows_known_to_the_planner(table):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return int(cursor.fetchone()[0])
        # one row per index; a partial index counts only its own rows, so the table's count is the largest
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        counts = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
        return max(counts) if counts else None


def test_analyze_refreshes_the_planners_row_counts():
    LeadFactory.create_batch(3)
    assert db.analyze(Lead, StateLog, Lead) == ["leadflow_lead", "django_fsm_log_statelog"]
    assert _rows_known_to_the_planner("leadflow_lead") == 3


@pytest.fixture
def analysed(monkeypatch):
    calls = []
    real = db.analyze
    monkeypatch.setattr(db, "analyze", lambda *models, **kw: calls.append(models) or real(*models, **kw))
    return calls


def _csv(rows):
    lines = ["name,phone"] + [f"Клиент {n},+7912{n:07d}" for n in range(rows)]
    return io.BytesIO("\n".join(lines).encode())


def test_a_large_import_analyses_the_tables_it_filled(monkeypatch, analysed):
    monkeypatch.setattr(importing, "ANALYZE_AFTER_ROWS", 3)
    report = importing.import_leads(_csv(3), filename="leads.csv", default_source="import")
    assert report.count(importing.OK) == 3
    assert analysed == [(Lead, Inquiry, StateLog)]
    assert _rows_known_to_the_planner("leadflow_lead") == 3


def test_a_small_import_leaves_it_to_autovacuum(monkeypatch, analysed):
    monkeypatch.setattr(importing, "ANALYZE_AFTER_ROWS", 3)
    importing.import_leads(_csv(2), filename="leads.csv", default_source="import")
    assert analysed == []


def test_seed_demo_analyses_what_it_filled_unless_asked_not_to(analysed):
    call_command("seed_demo", leads=30, no_analyze=True, verbosity=0)
    assert analysed == []
    call_command("seed_demo", leads=60, verbosity=0)
    tables = {model._meta.db_table for model in analysed[0]}
    assert {"leadflow_lead", "django_fsm_log_statelog", "leadflow_inquiry", "qualification_callattempt"} <= tables
    assert _rows_known_to_the_planner("leadflow_lead") == 60
