from django.db import migrations

from sales.reference import ensure_kitchen_kit


def seed(apps, schema_editor):
    ensure_kitchen_kit(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("sales", "0005_measurement_kit_photos_calendar_feed")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
