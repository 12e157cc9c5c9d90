"""The daily rollup behind year-long dashboards (issue 13 §4) and the criteria page (issue 17): build it,
keep it current, read it. A package: `keys` (dimensions, counts, local days), `buckets` (duration
histograms), `state` (the days held), `build` (rebuild, refresh), `plan` (by whole months: funnel,
speed, pilot), `days` (by days: criteria), `read` (held rows + the raw rest). Import from here.

- `DailyLeadRollup`: counts and sums of the leads received on each local day (settings.TIME_ZONE:
  the received day is the lead's cohort), per qualification team and one dimension `kind`.
- `LeadDurationHistogram`: per local month, the same keys, how many durations fell in each geometric
  bucket of ratio BUCKET_RATIO; a percentile is read at the bucket's geometric mean, so its relative
  error is at most sqrt(BUCKET_RATIO) - 1 (0.995 %).
- `RollupState`: the days held, [covered_from, covered_until), always < today.

Reading (`funnel_plan` decides, the one place): whole months of the period that the rollup holds come
from it; the rest of the period (the current month, any month not built) from the lead table, with its
durations bucketed the same way in SQL, so the counts always equal the raw computation and nothing
received today is missing; a held month with a lead changed since the last refresh (`stale_months`)
is read raw too, so a figure equals its raw drill-down list at every moment. Kept current by
`rollup_refresh` (Celery beat, every few minutes: the days of the leads whose `updated_at` moved since
the last run, and the days up to yesterday) and `rollup_rebuild` (nightly, the recent days;
`manage.py rebuild_report_rollup`).
"""

from ..models import CriteriaDailyRollup, DailyLeadRollup, LeadDurationHistogram, RollupState
from .buckets import (
    BUCKET_RATIO,
    MAX_RELATIVE_ERROR,
    NEGATIVE_BUCKETS,
    ZERO_BUCKET,
    Bucket,
    bucket_value,
    histogram_percentile,
    histogram_percentiles,
)
from .build import rollup_rebuild, rollup_refresh
from .days import DayPlan, day_plan, stale_days
from .keys import (
    COUNTS,
    FUNNEL_KIND,
    KINDS,
    METRICS,
    SPEED_KIND,
    SPEED_METRICS,
    SUM_KEYS,
    day_start,
    local_tz,
    month_start,
    next_month,
    today,
)
from .plan import RollupPlan, funnel_plan, rollup_keys, rollup_plan, spans, spans_q, speed_plan, stale_months
from .read import percentile_of, percentiles_of, rollup_counts, rollup_histograms
from .state import CHANGE_OVERLAP, NIGHTLY_DAYS, forget_state, rollup_state

__all__ = [
    "BUCKET_RATIO",
    "CHANGE_OVERLAP",
    "COUNTS",
    "FUNNEL_KIND",
    "KINDS",
    "MAX_RELATIVE_ERROR",
    "METRICS",
    "NEGATIVE_BUCKETS",
    "NIGHTLY_DAYS",
    "SPEED_KIND",
    "SPEED_METRICS",
    "SUM_KEYS",
    "ZERO_BUCKET",
    "Bucket",
    "CriteriaDailyRollup",
    "DailyLeadRollup",
    "DayPlan",
    "LeadDurationHistogram",
    "RollupPlan",
    "RollupState",
    "bucket_value",
    "day_plan",
    "day_start",
    "forget_state",
    "funnel_plan",
    "histogram_percentile",
    "histogram_percentiles",
    "local_tz",
    "month_start",
    "next_month",
    "percentile_of",
    "percentiles_of",
    "rollup_counts",
    "rollup_histograms",
    "rollup_keys",
    "rollup_plan",
    "rollup_rebuild",
    "rollup_refresh",
    "rollup_state",
    "spans",
    "spans_q",
    "speed_plan",
    "stale_days",
    "stale_months",
    "today",
]
