"""Read the held rows (counts and histograms) and the raw rest, counted the same way."""

from datetime import date, datetime

from django.db.models import BigIntegerField, CharField, Count, DateField, ExpressionWrapper, F, Max, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractIsoWeekDay, TruncWeek
from django.utils import timezone

from leadflow.db import Seconds

from ..models import DailyLeadRollup, LeadDurationHistogram
from .buckets import Bucket, histogram_percentile, histogram_percentiles
from .keys import COUNTS, METRICS, SUM_KEYS, UNCALLED_DUE, WON, local_tz


# dimension → (the histogram kind, its group column, the same value over Lead for the raw rest)
def _dimensions():
    from ..selectors.common import FUNNEL_CREDIT, SPEED_CREDIT, credited_person_id

    tz = local_tz()
    return {
        "total": ("all", None, None),
        "team": ("all", "team_id", F("qualification_team_id")),
        "funnel_person": ("funnel_person", "value", credited_person_id(FUNNEL_CREDIT)),
        "speed_person": ("speed_person", "value", credited_person_id(SPEED_CREDIT)),
        "source": ("source", "value", F("source_id")),
        "region": ("region", "label", Coalesce(F("region"), Value(""))),
        "hour": ("hour", "value", ExtractHour("received_at", tzinfo=tz)),
        "slot": (
            "slot",
            "value",
            ExtractIsoWeekDay("received_at", tzinfo=tz) * 100 + ExtractHour("received_at", tzinfo=tz),
        ),
        "week": ("week", "week", TruncWeek("received_at", tzinfo=tz, output_field=DateField())),
    }


def _decode(dimension, text):
    if text is None:
        return None
    if dimension == "region":
        return text
    if dimension == "week":
        return date.fromisoformat(str(text)[:10])
    return int(text)


def _add_counts(histograms, key, bucket, n):
    counts = histograms.setdefault(key, {})
    counts[bucket] = counts.get(bucket, 0) + n


def rollup_counts(plan, dimension, *, leads=None, now=None):
    """{group value: {SUM_KEYS…, uncalled_decided}} of the held days of `dimension`'s day rows, plus (given
    `leads`) the same figures of the raw rest, counted exactly as the raw selectors do.
    `uncalled_decided`: the leads not called whose breach deadline is before `now` (speed's denominator);
    None when a held day still has such a lead due later (then only raw knows: the caller reads raw)."""
    now = now or timezone.now()
    aggregates = {key: Sum(key) for key in SUM_KEYS}
    aggregates["uncalled_due_max"] = Max("uncalled_due_max")
    rows = DailyLeadRollup.objects.filter(plan.team_q, plan.days_q())
    if dimension == "slot":  # the heat map: hour rows by the day's weekday
        rows = rows.filter(kind="hour").annotate(
            r_group=ExpressionWrapper(ExtractIsoWeekDay("day") * 100 + F("value"), output_field=BigIntegerField())
        )
    elif dimension == "week":
        rows = rows.filter(kind="all").annotate(r_group=TruncWeek("day"))
    else:
        kind, column, _expr = _dimensions()[dimension]
        rows = rows.filter(kind=kind).annotate(r_group=F(column) if column else Cast(Value(None), BigIntegerField()))
    result = {}
    for row in rows.values("r_group").annotate(**aggregates).order_by():
        due_max = row.pop("uncalled_due_max")
        row["uncalled_decided"] = row["uncalled_due"] if due_max is None or due_max < now else None
        result[row.pop("r_group")] = row
    tail = plan.tail(leads) if leads is not None else None
    if tail is not None:
        _kind, _column, expr = _dimensions()[dimension]
        raw = {key: Count("pk", filter=q) if q else Count("pk") for key, q in COUNTS.items()}
        raw["revenue"] = Sum("deal_amount", filter=WON)
        raw["uncalled_decided"] = Count("pk", filter=UNCALLED_DUE & Q(sla_breach_at__lt=now))
        grouped = tail.annotate(r_group=expr if expr is not None else Cast(Value(None), BigIntegerField()))
        for row in grouped.values("r_group").annotate(**raw).order_by():
            group = row.pop("r_group")
            if dimension == "week" and isinstance(group, datetime):
                group = group.date()
            target = result.get(group)
            if target is None:
                result[group] = row
                continue
            for key in COUNTS:
                target[key] = (target[key] or 0) + row[key]
            if row["revenue"] is not None:
                target["revenue"] = row["revenue"] if target["revenue"] is None else target["revenue"] + row["revenue"]
            if target["uncalled_decided"] is not None:
                target["uncalled_decided"] += row["uncalled_decided"]
    for row in result.values():
        for key in COUNTS:
            row[key] = row[key] or 0
    return result


def rollup_histograms(plan, wanted, *, leads=None):
    """{(dimension, group value, metric): {bucket: n}} for `wanted` = {dimension: metrics}: the held
    months' histograms (one query) and the raw rest bucketed the same way in SQL (one UNION query)."""
    dimensions = _dimensions()
    kinds = {dimensions[name][0] for name in wanted}
    histograms = {}
    columns = ("bucket", "value", "team_id", "week", "metric", "kind", "label")
    readers = {}  # kind → [(dimension, index of its group column or None, metrics)]
    for name, metrics in wanted.items():
        kind, column, _expr = dimensions[name]
        readers.setdefault(kind, []).append((name, columns.index(column) if column else None, set(metrics)))
    rows = (
        LeadDurationHistogram.objects.filter(plan.team_q, plan.spans_q())
        .filter(kind__in=kinds)
        # integers first: the sort behind the GROUP BY then rarely compares the text columns (3× faster)
        .values_list(*columns)
        .annotate(held=Sum("n"))
        .order_by()
    )
    for row in rows:
        bucket, n = row[0], row[7]
        for name, index, metrics in readers[row[5]]:
            if row[4] in metrics:
                _add_counts(histograms, (name, None if index is None else row[index], row[4]), bucket, n)
    tail = plan.tail(leads) if leads is not None else None
    if tail is None:
        return histograms
    parts = []
    for name, metrics in wanted.items():
        _kind, _column, expr = dimensions[name]
        for metric in metrics:
            (end, start), only = METRICS[metric]
            part = tail.filter(only) if only is not None else tail
            parts.append(
                part.annotate(
                    h_dimension=Value(name),
                    h_metric=Value(metric),
                    h_group=Cast(expr, CharField()) if expr is not None else Cast(Value(None), CharField()),
                    h_bucket=Bucket(Seconds(end, start)),
                )
                .filter(h_bucket__isnull=False)
                .values("h_dimension", "h_metric", "h_group", "h_bucket")
                .annotate(h_n=Count("pk"))
                .order_by()
            )
    for row in parts[0].union(*parts[1:], all=True):
        name = row["h_dimension"]
        _add_counts(histograms, (name, _decode(name, row["h_group"]), row["h_metric"]), row["h_bucket"], row["h_n"])
    return histograms


def percentile_of(histograms, key, fraction):
    return histogram_percentile(histograms.get(key, {}), fraction)


def percentiles_of(histograms, key, fractions):
    return histogram_percentiles(histograms.get(key, {}), fractions)
