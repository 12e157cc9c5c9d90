"""Durations in geometric buckets: a percentile read from the histogram is within MAX_RELATIVE_ERROR."""

import math

from django.db.models import Func, IntegerField

BUCKET_RATIO = 1.02
MAX_RELATIVE_ERROR = math.sqrt(BUCKET_RATIO) - 1  # 0.00995
ZERO_BUCKET = 1_000_000  # a duration of exactly 0
NEGATIVE_BUCKETS = 2_000_000  # a negative duration -v sits in NEGATIVE_BUCKETS + bucket(v)


class Bucket(Func):
    """The geometric bucket of a duration in seconds (NULL stays NULL), the same on PostgreSQL and SQLite."""

    output_field = IntegerField()
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        log_ratio = repr(math.log(BUCKET_RATIO))
        template = (
            f"(CASE WHEN ({sql}) > 0 THEN CAST(FLOOR(LN({sql}) / {log_ratio}) AS INTEGER)"
            f" WHEN ({sql}) = 0 THEN {ZERO_BUCKET}"
            f" WHEN ({sql}) < 0 THEN {NEGATIVE_BUCKETS} + CAST(FLOOR(LN(-({sql})) / {log_ratio}) AS INTEGER) END)"
        )
        return template, tuple(params) * 5


def bucket_value(bucket):
    """The duration a bucket stands for: its geometric mean (within MAX_RELATIVE_ERROR of every value in it)."""
    if bucket == ZERO_BUCKET:
        return 0.0
    if bucket >= NEGATIVE_BUCKETS - 10_000:
        return -(BUCKET_RATIO ** (bucket - NEGATIVE_BUCKETS + 0.5))
    return BUCKET_RATIO ** (bucket + 0.5)


def _value_order(bucket):
    """Buckets in the order of their values, without computing them: negatives (largest magnitude
    first), zero, positives."""
    if bucket >= NEGATIVE_BUCKETS - 10_000:
        return (0, NEGATIVE_BUCKETS - bucket)
    if bucket == ZERO_BUCKET:
        return (1, 0)
    return (2, bucket)


def histogram_percentiles(counts, fractions):
    """percentile_cont(f) for each f of `fractions` over a histogram {bucket: n}: the same interpolation
    between the two nearest ranks, each rank read at its bucket's value. None when empty."""
    if not counts:
        return [None] * len(fractions)
    if max(counts) < ZERO_BUCKET:  # only positive durations: the bucket numbers are in value order
        items = sorted(counts.items())
    else:
        items = sorted(counts.items(), key=lambda item: _value_order(item[0]))
    total = sum(counts.values())
    if not total:
        return [None] * len(fractions)
    wanted = {}
    for fraction in fractions:
        position = fraction * (total - 1)
        wanted[fraction] = (position, math.floor(position), math.ceil(position))
    ranks = sorted({rank for _position, lower, upper in wanted.values() for rank in (lower, upper)})
    found, seen, next_rank = {}, 0, 0
    for bucket, n in items:
        seen += n
        while next_rank < len(ranks) and ranks[next_rank] < seen:
            found[ranks[next_rank]] = bucket_value(bucket)
            next_rank += 1
        if next_rank == len(ranks):
            break
    result = []
    for fraction in fractions:
        position, lower, upper = wanted[fraction]
        low = found[lower]
        result.append(low + (found[upper] - low) * (position - lower))
    return result


def histogram_percentile(counts, fraction):
    return histogram_percentiles(counts, (fraction,))[0]
