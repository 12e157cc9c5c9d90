"""Believable default plans for the reference customer (editable in the admin afterwards).

Qualifiers (remote, regional pay): 35 000 ₽ fixed + 3 000 ₽ per won deal of their accepted hand-offs.
Sales reps (Moscow): 45 000 ₽ fixed + 6 % of the revenue they close; at the plan's target of
~1 750 000 ₽ a month (5 deals × 350 000 ₽) that is 105 000 ₽ bonus, the ≈30/70 fixed/bonus split.
Team leads and managers: fixed only.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

PLANS = [
    ("Квалификатор: оклад + бонус за сделку", "qualifier", "35000", "3000", "0"),
    ("Руководитель квалификации: оклад", "qualification_lead", "60000", "0", "0"),
    ("Менеджер по продажам: 30/70", "sales_rep", "45000", "0", "6"),
    ("Руководитель продаж: оклад", "sales_manager", "120000", "0", "0"),
]


def create_plans(apps, schema_editor):
    BonusPlan = apps.get_model("reports", "BonusPlan")
    for name, role, fixed, per_deal, share in PLANS:
        BonusPlan.objects.get_or_create(
            name=name,
            defaults={
                "role": role,
                "fixed_monthly": Decimal(fixed),
                "bonus_per_won_deal": Decimal(per_deal),
                "revenue_share_percent": Decimal(share),
                "valid_from": date(2024, 1, 1),
            },
        )


def remove_plans(apps, schema_editor):
    apps.get_model("reports", "BonusPlan").objects.filter(name__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_bonus_plan")]
    operations = [migrations.RunPython(create_plans, remove_plans)]
