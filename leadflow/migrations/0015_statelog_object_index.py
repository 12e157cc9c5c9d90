"""The lead card's history query reads StateLog by (content_type_id, object_id): one composite index.

StateLog is django-fsm-log's model, so the index is ours, created by SQL here and not declared on the
model (an AddIndex would put it into django_fsm_log's migration state, and makemigrations would then
want a migration in that third-party app). On PostgreSQL it is built CONCURRENTLY: the history table
has millions of rows and intake writes to it, so the build must not block writes; a build that was
interrupted leaves an INVALID index, which is dropped and built again. EXPLAIN in docs/performance.md.
"""

from django.db import migrations

INDEX = "statelog_ct_object_idx"
TABLE = "django_fsm_log_statelog"


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [INDEX],
            )
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} (content_type_id, object_id)")
        else:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} (content_type_id, object_id)")


def drop_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {concurrently}IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("leadflow", "0014_notification_kind_digest"),
        ("django_fsm_log", "0002_auto_20151207_1521"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
