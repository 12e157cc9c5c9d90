"""The credit of the leads received before 0008_lead_credit, from their history.

A migration of its own: on PostgreSQL, updating rows in the migration that added the foreign keys
fails ("pending trigger events") when their deferred constraints and indexes are created.
It reads the transition history (django-fsm-log rows), so historic reports are right too:
- first_called_by: the actor of the lead's earliest "call_attempt" row; the holder when that row has
  no actor (a telephony event without a known operator);
- qualified_by: the holder of a lead still past qualification (its claim can no longer be released);
  else the actor of its latest "qualify" row (a returned lead); else, for rows written without
  history, whoever handed it off.
Set-based UPDATEs with correlated subqueries, the same on SQLite and PostgreSQL: no lead is loaded
into Python.
"""

from django import db
from django.db import migrations
from django.db.models import Exists, F, OuterRef, Subquery

PAST_QUALIFICATION = ["qualified", "handed_off", "measured", "won", "lost"]


def backfill(apps, schema_editor):
    connection = schema_editor.connection if schema_editor is not None else db.connection
    # Fresh statistics, or SQLite walks the (content type) index of every history row once per lead:
    # 9 s instead of 0.02 s for 3,000 demo leads.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_fsm_log_statelog")
    Lead = apps.get_model("leadflow", "Lead")
    StateLog = apps.get_model("django_fsm_log", "StateLog")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="leadflow", model="lead").first()
    if content_type is not None:
        history = StateLog.objects.filter(content_type_id=content_type.pk, object_id=OuterRef("pk"))
        calls = history.filter(transition="call_attempt").order_by("timestamp", "pk")
        Lead.objects.filter(first_call_at__isnull=False, first_called_by__isnull=True).filter(Exists(calls)).update(
            first_called_by=Subquery(calls.values("by")[:1])
        )
    Lead.objects.filter(first_call_at__isnull=False, first_called_by__isnull=True).update(
        first_called_by=F("qualifier")
    )

    Lead.objects.filter(status__in=PAST_QUALIFICATION, qualifier__isnull=False, qualified_by__isnull=True).update(
        qualified_by=F("qualifier")
    )
    if content_type is not None:
        qualified = history.filter(transition="qualify", by__isnull=False).order_by("-timestamp", "-pk")
        Lead.objects.filter(qualified_by__isnull=True).filter(Exists(qualified)).update(
            qualified_by=Subquery(qualified.values("by")[:1])
        )
    Lead.objects.filter(qualified_by__isnull=True, handed_off_by__isnull=False).update(qualified_by=F("handed_off_by"))


class Migration(migrations.Migration):
    dependencies = [
        ("leadflow", "0008_lead_credit"),
        ("django_fsm_log", "0002_auto_20151207_1521"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False)]
