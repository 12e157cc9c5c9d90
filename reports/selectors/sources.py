"""Source economics (issue 18 §1): from marketing spend to revenue, per source and UTM campaign.

The leads are a cohort: those received in the whole calendar months of the period (as the economics
page counts the pay statements), and what became of them by now: qualified, handed off, measured,
won, their revenue and gross margin. Spend is the net-of-VAT amount entered for the same months.
A lead without utm_campaign belongs to its source's row «без метки» (campaign ""), where the spend
entered for the source without a campaign goes too; nothing is dropped.

Constant queries: the leads grouped by (source, campaign, product, month), the spend grouped by
(source, campaign, month), the margin rates, the sources' names, and the pay statements
(reports.selectors.economics.statements) for the qualification team's own cost.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from leadflow.models import Lead, LeadStatus, Source, Team

from ..models import MarketingSpend, ProductMargin
from .common import Scope, ratio
from .drill import NO_VALUE
from .economics import ZERO, _as_month, month_period, months_of, statements

CENT = Decimal("0.01")
HOURS_PER_MONTH = Decimal("164")  # a full-time month (40-hour week), for the reps' default hourly cost

# figure → the Q of the cohort's leads it counts (the drill-down lists the same Q)
COUNTS = {
    "leads": Q(),
    "qualified": Q(qualified_at__isnull=False),
    "handed_off": Q(handed_off_at__isnull=False),
    "measured": Q(measured_at__isnull=False),
    "won": Q(status=LeadStatus.WON),
}
SUMS = ("spend", "revenue", "margin", *COUNTS)


def money(value):
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(spend, count):
    """Spend per counted lead; None (shown “—”) with no spend entered or nothing counted."""
    if not spend or not count:
        return None
    return money(spend / count)


def derive(row):
    """The row's unit costs, shares and ROMI from its own sums (a total row: from the summed sums)."""
    spend = row["spend"]
    row["cost_per_lead"] = unit_cost(spend, row["leads"])
    row["qualified_share"] = ratio(row["qualified"], row["leads"])
    row["cost_per_handoff"] = unit_cost(spend, row["handed_off"])
    row["cost_per_measurement"] = unit_cost(spend, row["measured"])
    row["cac"] = unit_cost(spend, row["won"])
    row["romi"] = float((row["margin"] - spend) / spend) if spend else None
    return row


def _empty(**keys):
    return {**keys, **dict.fromkeys(("spend", "revenue", "margin"), ZERO), **dict.fromkeys(COUNTS, 0)}


def _add(target, source):
    for key in SUMS:
        target[key] += source[key]


@dataclass(frozen=True)
class Counterfactual:
    """What the director assumes for reps doing their own qualification."""

    rep_hourly: Decimal | None = None  # ₽ per hour of a rep; None: from the reps' pay statements
    minutes_per_lead: Decimal = Decimal("12")
    deals_kept_percent: Decimal = Decimal("100")


def cohort_leads(*, report_filter, scope, span):
    leads = Lead.objects.filter(span.q("received_at"), scope.leads(), merged_into__isnull=True)
    if report_filter.source_id:
        leads = leads.filter(source_id=report_filter.source_id)
    return leads


def margin_rates():
    return {row.product_interest: row.margin_percent / 100 for row in ProductMargin.objects.all()}


def source_economics(*, report_filter, scope, counterfactual=None):
    months = months_of(report_filter.period)
    span = month_period(months[0], months[-1])
    rates = margin_rates()
    grouped = (
        cohort_leads(report_filter=report_filter, scope=scope, span=span)
        .annotate(month=TruncMonth("received_at"))
        .values("source_id", "utm_campaign", "product_interest", "month")
        .annotate(
            **{key: Count("pk", filter=q) if q else Count("pk") for key, q in COUNTS.items()},
            revenue=Sum("deal_amount", filter=COUNTS["won"]),
        )
        .order_by()
    )
    spend_rows = MarketingSpend.objects.filter(day__gte=span.start.date(), day__lt=_month_after(months[-1]))
    if report_filter.source_id:
        spend_rows = spend_rows.filter(source_id=report_filter.source_id)
    spend_rows = (
        spend_rows.annotate(month=TruncMonth("day"))
        .values("source_id", "utm_campaign", "month")
        .annotate(spend=Sum("amount_net"))
        .order_by()
    )

    campaigns, by_month, missing_rates = {}, {month: _empty(month=month) for month in months}, set()
    for row in grouped:
        key = (row["source_id"], row["utm_campaign"])
        target = campaigns.setdefault(key, _empty(source_id=key[0], campaign=key[1]))
        revenue = row["revenue"] or ZERO
        rate = rates.get(row["product_interest"])
        if rate is None and revenue:
            missing_rates.add(row["product_interest"])
        margin = revenue * (rate or 0)
        part = {"spend": ZERO, "revenue": revenue, "margin": margin}
        part.update({key: row[key] for key in COUNTS})
        _add(target, part)
        _add(by_month[_as_month(row["month"])], part)
    for row in spend_rows:
        key = (row["source_id"], row["utm_campaign"])
        target = campaigns.setdefault(key, _empty(source_id=key[0], campaign=key[1]))
        part = {**_empty(), "spend": row["spend"]}
        _add(target, part)
        _add(by_month[_as_month(row["month"])], part)

    names = dict(Source.objects.filter(pk__in={key[0] for key in campaigns}).values_list("pk", "name"))
    sources, total = {}, _empty()
    ordered = sorted(campaigns.values(), key=lambda row: (names.get(row["source_id"], ""), row["campaign"]))
    for row in ordered:
        source_id = row["source_id"]
        row.update(source=names.get(source_id, "—"), margin=money(row["margin"]), revenue=money(row["revenue"]))
        derive(row)
        _add(sources.setdefault(source_id, _empty(source_id=source_id, source=row["source"])), row)
        _add(total, row)
    for row in [*sources.values(), *by_month.values()]:
        row["margin"], row["revenue"] = money(row["margin"]), money(row["revenue"])
        derive(row)
    derive(total)

    return {
        "months": months,
        "span": span,
        "campaigns": ordered,
        "sources": sorted(sources.values(), key=lambda row: row["source"]),
        "by_month": list(by_month.values()),
        "total": total,
        "rates": rates,
        "missing_rates": sorted(missing_rates),
        "two_tier": two_tier(months=months, total=total, counterfactual=counterfactual or Counterfactual()),
    }


def _month_after(month):
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def two_tier(*, months, total, counterfactual):
    """The cost per deal of the two-tier model (marketing + the qualification team's pay) against the
    director's counterfactual (marketing + the reps' own time to qualify every lead).

    two-tier       = (spend + qualification pay) / won
    counterfactual = (spend + leads × minutes per lead / 60 × rep's hourly cost) / (won × deals kept %)
    """
    pay = statements(months=months, scope=Scope())
    qualification_pay = sum(
        (row["total"] for row in pay["statements"] if row["team_kind"] == Team.Kind.QUALIFICATION), ZERO
    )
    reps = [row for row in pay["statements"] if row["team_kind"] == Team.Kind.SALES and row["role"] == "sales_rep"]
    reps_pay = sum((row["total"] for row in reps), ZERO)
    hourly_from_pay = money(reps_pay / (len(reps) * HOURS_PER_MONTH)) if reps else None
    hourly = counterfactual.rep_hourly if counterfactual.rep_hourly is not None else hourly_from_pay
    spend, leads, won = total["spend"], total["leads"], total["won"]
    rep_hours = Decimal(leads) * counterfactual.minutes_per_lead / 60
    rep_cost = money(rep_hours * hourly) if hourly is not None else None
    won_counterfactual = Decimal(won) * counterfactual.deals_kept_percent / 100
    return {
        "spend": spend,
        "qualification_pay": money(qualification_pay),
        "leads": leads,
        "won": won,
        "two_tier_cost": money(spend + qualification_pay),
        "two_tier_per_deal": money((spend + qualification_pay) / won) if won else None,
        "rep_hourly": hourly,
        "rep_hourly_from_pay": hourly_from_pay,
        "minutes_per_lead": counterfactual.minutes_per_lead,
        "deals_kept_percent": counterfactual.deals_kept_percent,
        "rep_hours": rep_hours.quantize(CENT, rounding=ROUND_HALF_UP),
        "rep_cost": rep_cost,
        "won_counterfactual": won_counterfactual,
        "counterfactual_cost": money(spend + rep_cost) if rep_cost is not None else None,
        "counterfactual_per_deal": (
            money((spend + rep_cost) / won_counterfactual) if rep_cost is not None and won_counterfactual else None
        ),
    }


# --- drill-down: the leads behind a count of the page -------------------------------------------------

FIGURES = tuple(f"sources.{key}" for key in COUNTS)


def campaign_dim(source_id, campaign):
    return f"{source_id}:{campaign}"


def sources_drilldown(*, figure, report_filter, scope, group_by=None, dim=None):
    """The cohort's leads a count of the page counts: the total (dim None), a source ("source",
    "<id>"), a source's campaign ("campaign", "<id>:<campaign>", "<id>:" for «без метки») or a month of
    receipt ("month", "YYYY-MM"). KeyError for what the page does not have."""
    if not scope.sees_all:
        raise KeyError(figure)  # the company's spend page: the director's only
    key = figure.split(".", 1)[1]
    if key not in COUNTS:
        raise KeyError(figure)
    months = months_of(report_filter.period)
    span = month_period(months[0], months[-1])
    leads = cohort_leads(report_filter=report_filter, scope=scope, span=span).filter(COUNTS[key])
    if dim is None:
        return leads
    if group_by == "source":
        return leads.filter(source_id=int(dim))
    if group_by == "campaign":
        source_id, campaign = dim.split(":", 1)
        return leads.filter(source_id=int(source_id), utm_campaign=campaign)
    if group_by == "month":
        month = date.fromisoformat(f"{dim}-01")
        if month not in months:
            raise KeyError(dim)
        return leads.filter(month_period(month).q("received_at"))
    raise KeyError(group_by if group_by else NO_VALUE)
