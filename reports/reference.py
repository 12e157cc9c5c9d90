"""Default bonus plans for the reference customer (used by the data migration and by tests that
flush the database). Data, not code: edited in the admin afterwards.

Qualifiers (remote, regional pay): 35 000 ₽ fixed + 3 000 ₽ per won deal of their accepted hand-offs.
Sales reps (Moscow): 45 000 ₽ fixed + 6 % of the revenue they close; at the plan's target of
~1 750 000 ₽ a month (5 deals × 350 000 ₽) that is 105 000 ₽ bonus, the ≈30/70 fixed/bonus split.
Team leads and managers: fixed only.
"""

from datetime import date
from decimal import Decimal

# name, role, fixed, bonus per won deal, revenue share %
DEFAULT_PLANS = [
    ("Квалификатор: оклад + бонус за сделку", "qualifier", "35000", "3000", "0"),
    ("Руководитель квалификации: оклад", "qualification_lead", "60000", "0", "0"),
    ("Менеджер по продажам: 30/70", "sales_rep", "45000", "0", "6"),
    ("Руководитель продаж: оклад", "sales_manager", "120000", "0", "0"),
]
PLANS_START = date(2024, 1, 1)


def ensure_default_plans(get_model):
    BonusPlan = get_model("reports", "BonusPlan")
    for name, role, fixed, per_deal, share in DEFAULT_PLANS:
        BonusPlan.objects.get_or_create(
            name=name,
            defaults={
                "role": role,
                "fixed_monthly": Decimal(fixed),
                "bonus_per_won_deal": Decimal(per_deal),
                "revenue_share_percent": Decimal(share),
                "valid_from": PLANS_START,
            },
        )
