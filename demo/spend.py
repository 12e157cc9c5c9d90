"""The demo company's marketing spend (issue 18 §1): a month's invoice per source and campaign, sized by
the leads the demo received from it at a believable cost per lead, so that source economics is alive.

Deterministic (the amounts follow the lead counts, the jitter is seeded by the campaign and month) and
idempotent: `spend_record` keys an entry by source, campaign and month, so a second run changes nothing
and a top-up of leads updates the amounts instead of adding to them.
"""

import random
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from leadflow.models import Lead, Source
from reports.models import MarketingSpend
from reports.services import spend_record

# (source code, utm_campaign) → roubles per lead, VAT included (advertising platforms invoice with VAT)
COST_PER_LEAD = {
    ("yandex_direct", "kuhni_na_zakaz_msk_search"): 3200,
    ("yandex_direct", "kuhni_msk_rsya"): 1700,
    ("yandex_direct", "kuhni_mo_search"): 2600,
    ("yandex_direct", "kuhni_brand"): 700,
    ("yandex_direct", "kuhni_retargeting"): 1300,
    ("website", "kuhni_vk_target"): 2100,
    ("website", "kuhni_google_search"): 2900,
    ("website", "blog_kuhni_idei"): 600,
    ("call_tracking", ""): 450,  # the call-tracking service's fee, per call it delivers
}
MONTHLY_FEE = {  # a fixed monthly invoice whatever the leads: the SEO contractor, Avito's listing package
    ("website", ""): 45000,
    ("avito", ""): 28000,
}
VAT_2026 = Decimal("22")  # the standard rate from 1 January 2026 (20 % before)


def _vat_rate(month):
    return VAT_2026 if month >= date(2026, 1, 1) else Decimal("20")


def seed_spend(*, actor):
    """One spend entry per (source, campaign, month) of the demo's leads; returns how many were written."""
    groups = (
        Lead.objects.filter(external_id__startswith="demo-")
        .annotate(month=TruncMonth("received_at"))
        .values("source__code", "utm_campaign", "month")
        .annotate(leads=Count("pk"))
        .order_by()
    )
    sources = Source.objects.in_bulk(field_name="code")
    amounts = {}
    for row in groups:
        month = timezone.localtime(row["month"]).date()
        key = (row["source__code"], row["utm_campaign"])
        if key in COST_PER_LEAD:
            jitter = random.Random(f"{key}{month}").uniform(0.85, 1.2)
            amounts[(*key, month)] = Decimal(round(row["leads"] * COST_PER_LEAD[key] * jitter, -2))
        elif key in MONTHLY_FEE:
            amounts[(*key, month)] = Decimal(MONTHLY_FEE[key])
    written = 0
    for (code, campaign, month), amount in sorted(amounts.items()):
        _spend, outcome = spend_record(
            source=sources[code],
            utm_campaign=campaign,
            granularity=MarketingSpend.Granularity.MONTH,
            day=month,
            amount=amount,
            vat_included=True,
            vat_rate=_vat_rate(month),
            actor=actor,
            note="демо",
        )
        written += outcome != "unchanged"
    return written
