from django.db import migrations

from sales.reference import ensure_objection_tags


def seed(apps, schema_editor):
    ensure_objection_tags(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
