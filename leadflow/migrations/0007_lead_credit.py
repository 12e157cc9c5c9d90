"""Credit apart from custody: who made the first call and who qualified the lead.

The backfill reads the transition history (django-fsm-log rows), so historic reports are right too:
- first_called_by: the actor of the lead's earliest "call_attempt" row; the holder when that row has
  no actor (a telephony event without a known operator);
- qualified_by: the holder of a lead still past qualification (its claim can no longer be released);
  else the actor of its latest "qualify" row (a returned lead); else, for rows written without
  history, whoever handed it off.
Set-based UPDATEs with correlated subqueries: the same on SQLite and PostgreSQL, no lead loaded into Python.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, F, OuterRef, Subquery

PAST_QUALIFICATION = ["qualified", "handed_off", "measured", "won", "lost"]


def backfill(apps, schema_editor):
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
    Lead.objects.filter(qualified_by__isnull=True, handed_off_by__isnull=False).update(
        qualified_by=F("handed_off_by")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leadflow", "0006_verbose_names"),
        ("django_fsm_log", "0002_auto_20151207_1521"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="first_called_by",
            field=models.ForeignKey(
                blank=True,
                help_text="Who made the first call attempt: the speed-to-lead figures count for them.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="first called by",
            ),
        ),
        migrations.AddField(
            model_name="lead",
            name="qualified_by",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "The qualifier credited with the latest qualification: hand-off quality, disputes and the "
                    "bonus count for them, whoever pressed the hand-off."
                ),
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="qualified by",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
