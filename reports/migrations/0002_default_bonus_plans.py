"""Believable default bonus plans (see reports/reference.py for the figures and the 30/70 reasoning)."""

from django.db import migrations

from reports.reference import DEFAULT_PLANS, ensure_default_plans


def create_plans(apps, schema_editor):
    ensure_default_plans(apps.get_model)


def remove_plans(apps, schema_editor):
    apps.get_model("reports", "BonusPlan").objects.filter(name__in=[plan[0] for plan in DEFAULT_PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_bonus_plan")]
    operations = [migrations.RunPython(create_plans, remove_plans)]
