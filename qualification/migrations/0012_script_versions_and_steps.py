from django.db import migrations, models


def number_versions(apps, schema_editor):
    """Existing scripts become versions of their team and stage (the oldest is 1), each with its steps."""
    from qualification.reference import ensure_script_steps

    CallScript = apps.get_model("qualification", "CallScript")
    seen = {}
    for script in CallScript.objects.order_by("team_id", "stage", "pk"):
        key = (script.team_id, script.stage)
        seen[key] = seen.get(key, 0) + 1
        if script.version != seen[key]:
            script.version = seen[key]
            script.save(update_fields=["version"])
    ensure_script_steps(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("qualification", "0011_call_reviews")]

    operations = [
        migrations.RunPython(number_versions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="callscript",
            constraint=models.UniqueConstraint(fields=("team", "stage", "version"), name="unique_call_script_version"),
        ),
    ]
