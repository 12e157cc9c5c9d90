"""Pilot comparison: two periods side by side (e.g. the month before and the month after the
two-team model started) with deltas. One query: every figure is a conditional aggregate filtered
by period A or period B over the leads received in either.

Like with like: a cohort whose last leads are younger than MATURITY_DAYS (the typical closing time) is
immature; then both periods count only the events (qualified, measured, won) within the same horizon
of each lead's receipt: the younger period's age from its first day (capped at MATURITY_DAYS). Leads
received later in that period have had less time still, which the page says."""

from dataclasses import replace
from datetime import timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from leadflow.db import Percentile, Seconds
from leadflow.models import Lead, LeadStatus

from .. import rollup
from .common import minutes, ratio
from .funnel import lead_base

MATURITY_DAYS = 90

# (key, lower is better)
METRICS = [
    ("leads", False),
    ("first_call_p50_min", True),
    ("first_call_p90_min", True),
    ("warn_share", False),
    ("qualified_rate", False),
    ("measured_rate", False),
    ("won_rate", False),
    ("won", False),
    ("revenue", False),
    ("avg_deal", False),
]


def maturity(period_a, period_b, now, days=MATURITY_DAYS):
    """Which cohort is still immature, and the common horizon (None: both mature, full age)."""
    full = timedelta(days=days)
    immature = {name: now - period.end < full for name, period in (("a", period_a), ("b", period_b))}
    horizon = None
    if any(immature.values()):
        youngest_start = max(period_a.start, period_b.start)
        horizon = min(full, max(now - youngest_start, timedelta(0)))
    return {"a_immature": immature["a"], "b_immature": immature["b"], "horizon": horizon, "days": days}


def _within(field_name, horizon):
    """The event happened (and, at a common horizon, within it of the lead's receipt)."""
    q = Q(**{f"{field_name}__isnull": False})
    if horizon is not None:
        q &= Q(**{f"{field_name}__lte": F("received_at") + horizon})
    return q


def side_filters(period, horizon, now):
    """count → the Q of the leads one period (side) counts: the figures and their drill-down."""
    p = period.q("received_at")
    return {
        "leads": p,
        "decided": p & (Q(first_call_at__isnull=False) | Q(sla_breach_at__lt=now)),
        "within_warn": p & Q(first_call_at__lte=F("sla_warn_at")),
        "qualified": p & _within("qualified_at", horizon),
        "measured": p & _within("measured_at", horizon),
        "won": p & Q(status=LeadStatus.WON) & _within("closed_at", horizon),
    }


def pilot_base(*, period_a, period_b, report_filter, scope):
    return Lead.objects.filter(
        period_a.q("received_at") | period_b.q("received_at"),
        scope.leads(),
        report_filter.lead_q(),
        merged_into__isnull=True,
    )


# metric → the count it is (a count) or divides (a share: its numerator), the drill-down's figure
METRIC_COUNTS = {
    "leads": "leads",
    "warn_share": "within_warn",
    "qualified_rate": "qualified",
    "measured_rate": "measured",
    "won_rate": "won",
    "won": "won",
}


def pilot_drilldown(*, figure, period_a, period_b, report_filter, scope, side, now=None):
    """The leads a count of one side ("a": before, "b": after) counts. KeyError otherwise."""
    now = now or timezone.now()
    horizon = maturity(period_a, period_b, now)["horizon"]
    period = {"a": period_a, "b": period_b}[side]
    q = side_filters(period, horizon, now)[figure.split(".", 1)[1]]
    return pilot_base(period_a=period_a, period_b=period_b, report_filter=report_filter, scope=scope).filter(q)


def _side_from_rollup(*, plan, leads, now):
    """One period's figures from the rollup's held months and the raw rest (both cohorts mature: no horizon)."""
    sums = rollup.rollup_counts(plan, "total", leads=leads, now=now).get(None)
    if sums is None or sums["uncalled_decided"] is None:
        return None
    histograms = rollup.rollup_histograms(plan, {"total": ("t_call",)}, leads=leads)
    revenue = sums["revenue"] or 0
    decided = sums["called"] + sums["uncalled_decided"]
    counts = {"leads": sums["received"], "decided": decided}
    counts.update({key: sums[key] for key in ("within_warn", "qualified", "measured", "won")})
    return {
        "counts": counts,
        "leads": sums["received"],
        "first_call_p50_min": minutes(rollup.percentile_of(histograms, ("total", None, "t_call"), 0.5)),
        "first_call_p90_min": minutes(rollup.percentile_of(histograms, ("total", None, "t_call"), 0.9)),
        "warn_share": ratio(sums["within_warn"], decided),
        "qualified_rate": ratio(sums["qualified"], sums["received"]),
        "measured_rate": ratio(sums["measured"], sums["received"]),
        "won_rate": ratio(sums["won"], sums["received"]),
        "won": sums["won"],
        "revenue": revenue,
        "avg_deal": (revenue / sums["won"]) if sums["won"] else None,
    }


def _sides_from_rollup(*, period_a, period_b, report_filter, scope, now):
    """Both periods from the rollup when the one rollup_plan allows it for each; None: read raw."""
    sides = {}
    for name, period in (("a", period_a), ("b", period_b)):
        side_filter = replace(report_filter, period=period)
        plan = rollup.rollup_plan(report_filter=side_filter, scope=scope)
        if plan is None:
            return None
        side = _side_from_rollup(plan=plan, leads=lead_base(report_filter=side_filter, scope=scope), now=now)
        if side is None:
            return None
        sides[name] = side
    return sides


def pilot_comparison(*, period_a, period_b, report_filter, scope, now=None):
    now = now or timezone.now()
    ages = maturity(period_a, period_b, now)
    horizon = ages["horizon"]
    sides = None
    if horizon is None:  # both cohorts mature: every event counts, as the rollup holds them
        sides = _sides_from_rollup(
            period_a=period_a, period_b=period_b, report_filter=report_filter, scope=scope, now=now
        )
    if sides is not None:
        return _compare(sides, ages, from_rollup=True)
    aggregates = {}
    for name, period in (("a", period_a), ("b", period_b)):
        filters = side_filters(period, horizon, now)
        first_call = Seconds("first_call_at", "received_at")
        aggregates.update({f"{name}_{key}": Count("pk", filter=q) for key, q in filters.items()})
        aggregates.update(
            {
                f"{name}_first_call_p50": Percentile(first_call, 0.5, filter=filters["leads"]),
                f"{name}_first_call_p90": Percentile(first_call, 0.9, filter=filters["leads"]),
                f"{name}_revenue": Sum("deal_amount", filter=filters["won"]),
            }
        )
    raw = pilot_base(period_a=period_a, period_b=period_b, report_filter=report_filter, scope=scope).aggregate(
        **aggregates
    )
    sides = {}
    for name in ("a", "b"):
        get = lambda key, name=name: raw[f"{name}_{key}"]  # noqa: E731
        revenue = get("revenue") or 0
        sides[name] = {
            "leads": get("leads"),
            "first_call_p50_min": minutes(get("first_call_p50")),
            "first_call_p90_min": minutes(get("first_call_p90")),
            "warn_share": ratio(get("within_warn"), get("decided")),
            "qualified_rate": ratio(get("qualified"), get("leads")),
            "measured_rate": ratio(get("measured"), get("leads")),
            "won_rate": ratio(get("won"), get("leads")),
            "won": get("won"),
            "revenue": revenue,
            "avg_deal": (revenue / get("won")) if get("won") else None,
            "counts": {key: get(key) for key in ("leads", "decided", "within_warn", "qualified", "measured", "won")},
        }
    return _compare(sides, ages)


def _compare(sides, ages, from_rollup=False):
    rows = []
    for key, lower_is_better in METRICS:
        a, b = sides["a"][key], sides["b"][key]
        delta = None if a is None or b is None else b - a
        relative = None if delta is None or not a else float(delta) / float(a)
        better = None
        if delta:
            better = (delta < 0) if lower_is_better else (delta > 0)
        row = {"metric": key, "a": a, "b": b, "delta": delta, "relative": relative, "better": better}
        if key in METRIC_COUNTS:
            count = METRIC_COUNTS[key]
            row.update(
                figure=f"pilot.{count}", a_count=sides["a"]["counts"][count], b_count=sides["b"]["counts"][count]
            )
        rows.append(row)
    return {"a": sides["a"], "b": sides["b"], "rows": rows, "maturity": ages, "from_rollup": from_rollup}
