"""Credit apart from custody: who made the first call and who qualified the lead (the columns;
0009_lead_credit_backfill fills them from the history)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leadflow", "0007_api_tokens"),
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
    ]
