from django.db import migrations


def seed(apps, schema_editor):
    from qualification.reference import ensure_kitchen_checklist

    ensure_kitchen_checklist(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [
        ("qualification", "0002_handoff_summary"),
        ("leadflow", "0002_seed_reference_data"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
