from django.db import migrations

from leadflow.reference import ensure_reference_data


def forwards(apps, schema_editor):
    ensure_reference_data(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [
        ("leadflow", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
