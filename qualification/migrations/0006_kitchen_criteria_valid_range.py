from django.db import migrations


def seed(apps, schema_editor):
    from qualification.reference import ensure_kitchen_valid_ranges

    ensure_kitchen_valid_ranges(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("qualification", "0005_criterion_valid_range")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
