"""Default gross margin rates per product type (the director changes them in the admin)."""

from decimal import Decimal

from django.db import migrations

DEFAULT_MARGINS = {"custom": Decimal("35"), "modular": Decimal("25"), "unknown": Decimal("30")}


def add_margins(apps, schema_editor):
    ProductMargin = apps.get_model("reports", "ProductMargin")
    for product, percent in DEFAULT_MARGINS.items():
        ProductMargin.objects.get_or_create(product_interest=product, defaults={"margin_percent": percent})


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_marketing_spend")]

    operations = [migrations.RunPython(add_margins, migrations.RunPython.noop)]
