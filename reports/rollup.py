"""The daily rollup behind year-long dashboards (issue 13 §4): build it, keep it current, read it.

- `DailyLeadRollup`: counts and sums of the leads received on each local day (settings.TIME_ZONE:
  the received day is the lead's cohort), per qualification team and one dimension `kind`.
- `LeadDurationHistogram`: per local month, the same keys, how many durations fell in each geometric
  bucket of ratio BUCKET_RATIO; a percentile is read at the bucket's geometric mean, so its relative
  error is at most sqrt(BUCKET_RATIO) - 1 (0.995 %).
- `RollupState`: the days held, [covered_from, covered_until), always < today.

Reading (`funnel_plan` decides, the one place): whole months of the period that the rollup holds come
from it; the rest of the period (the current month, any month not built) from the lead table, with its
durations bucketed the same way in SQL, so the counts always equal the raw computation and nothing
received today is missing. Kept current by `rollup_refresh` (Celery beat, every few minutes: the days
of the leads whose `updated_at` moved since the last run, and the days up to yesterday) and
`rollup_rebuild` (nightly, the recent days; `manage.py rebuild_report_rollup`).
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, F, Func, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from leadflow.db import Seconds
from leadflow.models import Lead, LeadStatus

from .models import DailyLeadRollup, LeadDurationHistogram, RollupState
from .selectors.common import FUNNEL_CREDIT, credited_person_id

BUCKET_RATIO = 1.02
MAX_RELATIVE_ERROR = math.sqrt(BUCKET_RATIO) - 1  # 0.00995
ZERO_BUCKET = 1_000_000  # a duration of exactly 0
NEGATIVE_BUCKETS = 2_000_000  # a negative duration -v sits in NEGATIVE_BUCKETS + bucket(v)
STATE_CACHE_KEY = "reports:rollup-state"
STATE_CACHE_SECONDS = 60
NIGHTLY_DAYS = 62
CHANGE_OVERLAP = timedelta(minutes=10)  # a transaction may commit a little after its updated_at

WON = Q(status=LeadStatus.WON)

# metric → (duration, only for the leads matching)
METRICS = {
    "t_call": (("first_call_at", "received_at"), None),
    "t_qualify": (("qualified_at", "first_call_at"), None),
    "t_handoff": (("handed_off_at", "qualified_at"), None),
    "t_accept": (("accepted_at", "handed_off_at"), None),
    "t_measure": (("measured_at", "accepted_at"), None),
    "t_close": (("closed_at", "measured_at"), WON),
    "cycle_p50": (("closed_at", "received_at"), WON),
}

COUNTS = {
    "received": Q(),
    "called": Q(first_call_at__isnull=False),
    "qualified": Q(qualified_at__isnull=False),
    "handed_off": Q(handed_off_at__isnull=False),
    "accepted": Q(accepted_at__isnull=False),
    "measured": Q(measured_at__isnull=False),
    "won": WON,
}
SUMS = {"revenue": ("deal_amount", WON)}

# kind → (value expression over Lead, label field, the histograms kept per row): the funnel's groupings
KINDS = {
    "all": (None, None, tuple(METRICS)),
    "funnel_person": (lambda: credited_person_id(FUNNEL_CREDIT), None, ("cycle_p50",)),
    "source": (lambda: F("source_id"), None, ("cycle_p50",)),
    "region": (None, "region", ("cycle_p50",)),
}
FUNNEL_KIND = {"team": "all", "qualifier": "funnel_person", "source": "source", "region": "region"}


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day):
    return datetime.combine(day, time(), tzinfo=local_tz())


def today():
    return timezone.localdate(timezone=local_tz())


def month_start(day):
    return day.replace(day=1)


def next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


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


def histogram_percentile(counts, fraction):
    """percentile_cont(fraction) over a histogram {bucket: n}: the same interpolation between the two
    nearest ranks, each rank read at its bucket's value. None when empty."""
    items = sorted((bucket_value(bucket), n) for bucket, n in counts.items() if n)
    total = sum(n for _value, n in items)
    if not total:
        return None
    position = fraction * (total - 1)
    lower, upper = math.floor(position), math.ceil(position)

    def at(rank):
        seen = 0
        for value, n in items:
            seen += n
            if rank < seen:
                return value
        return items[-1][0]

    low = at(lower)
    return low + (at(upper) - low) * (position - lower)


# --- build -------------------------------------------------------------------------------------------


def _kind_rows(leads, kind):
    value_expr, label_field, _metrics = KINDS[kind]
    return leads.annotate(
        r_kind=Value(kind),
        r_team=F("qualification_team_id"),
        r_value=value_expr() if value_expr else Cast(Value(None), BigIntegerField()),
        r_label=Coalesce(F(label_field), Value("")) if label_field else Value(""),
    )


def _insert_select(model, columns, queryset):
    """INSERT INTO model (columns) SELECT columns FROM (the queryset's SQL): built in the database."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(column) for column, _alias in columns)
    aliases = ", ".join(f"sub.{connection.ops.quote_name(alias)}" for _column, alias in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {aliases} FROM ({sql}) sub", params)


KEY_COLUMNS = [("kind", "r_kind"), ("team_id", "r_team"), ("value", "r_value"), ("label", "r_label")]


def _leads_received(first_day, last_day_exclusive):
    return Lead.objects.filter(
        received_at__gte=day_start(first_day), received_at__lt=day_start(last_day_exclusive), merged_into__isnull=True
    )


def _build_days(first_day, last_day_exclusive):
    tz = local_tz()
    DailyLeadRollup.objects.filter(day__gte=first_day, day__lt=last_day_exclusive).delete()
    aggregates = {key: Count("pk", filter=q) if q else Count("pk") for key, q in COUNTS.items()}
    aggregates.update({key: Sum(field, filter=q) for key, (field, q) in SUMS.items()})
    for kind in KINDS:
        rows = (
            _kind_rows(_leads_received(first_day, last_day_exclusive), kind)
            .annotate(r_day=TruncDate("received_at", tzinfo=tz))
            .values("r_day", "r_kind", "r_team", "r_value", "r_label")
            .annotate(**aggregates)
            .order_by()
        )
        columns = [("day", "r_day"), *KEY_COLUMNS, *[(key, key) for key in aggregates]]
        _insert_select(DailyLeadRollup, columns, rows)


def _build_months(first_month, last_month_exclusive):
    """Histograms of the whole months [first_month, last_month_exclusive)."""
    tz = local_tz()
    LeadDurationHistogram.objects.filter(month__gte=first_month, month__lt=last_month_exclusive).delete()
    for kind, (_value, _label, metrics) in KINDS.items():
        for metric in metrics:
            (end, start), only = METRICS[metric]
            leads = _leads_received(first_month, last_month_exclusive)
            if only is not None:
                leads = leads.filter(only)
            rows = (
                _kind_rows(leads, kind)
                .annotate(r_month=TruncMonth("received_at", tzinfo=tz), r_metric=Value(metric))
                .annotate(r_bucket=Bucket(Seconds(end, start)))
                .filter(r_bucket__isnull=False)
                .values("r_month", "r_kind", "r_team", "r_value", "r_label", "r_metric", "r_bucket")
                .annotate(r_n=Count("pk"))
                .order_by()
            )
            columns = [
                ("month", "r_month"),
                *KEY_COLUMNS,
                ("metric", "r_metric"),
                ("bucket", "r_bucket"),
                ("n", "r_n"),
            ]
            _insert_select(LeadDurationHistogram, columns, rows)


def _forget_state():
    cache.delete(STATE_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(STATE_CACHE_KEY))


def rollup_rebuild(*, days=None, now=None):
    """Rebuild the last `days` days before today (None: every day since the first lead), with the
    histograms of the months they touch. Returns the state."""
    now = now or timezone.now()
    until = timezone.localdate(now, timezone=local_tz())
    if days is None:
        first = Lead.objects.order_by("received_at").values_list("received_at", flat=True).first()
        start = timezone.localdate(first, timezone=local_tz()) if first else until
    else:
        start = until - timedelta(days=days)
    start = min(start, until)
    with transaction.atomic():
        state = RollupState.objects.select_for_update().first()
        _build_days(start, until)
        if start < until:
            _build_months(month_start(start), next_month(until - timedelta(days=1)))
        if state is None:
            state = RollupState(covered_from=start, covered_until=until, changes_seen_until=now, built_at=now)
        else:
            state.covered_from = min(state.covered_from, start) if days is not None else start
            state.covered_until = until
            state.changes_seen_until = max(state.changes_seen_until, now) if days is not None else now
            state.built_at = now
        state.save()
        _forget_state()
    return state


def rollup_refresh(*, now=None):
    """The incremental update: the days up to yesterday not built yet, and the received days of every
    lead changed (`updated_at`) since the last run. A no-op before the first full build."""
    now = now or timezone.now()
    until = timezone.localdate(now, timezone=local_tz())
    with transaction.atomic():
        state = RollupState.objects.select_for_update().first()
        if state is None:
            return None
        since = state.changes_seen_until - CHANGE_OVERLAP
        changed = set(
            Lead.objects.filter(updated_at__gte=since, received_at__lt=day_start(state.covered_until))
            .filter(received_at__gte=day_start(state.covered_from))
            .annotate(r_day=TruncDate("received_at", tzinfo=local_tz()))
            .values_list("r_day", flat=True)
            .distinct()
        )
        if state.covered_until < until:
            changed.update(state.covered_until + timedelta(days=i) for i in range((until - state.covered_until).days))
        for day in sorted(changed):
            _build_days(day, day + timedelta(days=1))
        for month in sorted({month_start(day) for day in changed}):
            _build_months(month, next_month(month))
        state.covered_until = max(state.covered_until, until)
        state.changes_seen_until = now
        state.built_at = now
        state.save()
        _forget_state()
    return state


# --- read --------------------------------------------------------------------------------------------


def rollup_state():
    """(covered_from, covered_until) or None; cached for a minute (a rebuild forgets it)."""
    cached = cache.get(STATE_CACHE_KEY)
    if cached is None:
        state = RollupState.objects.values_list("covered_from", "covered_until").first()
        cached = ("built", *state) if state else ("none",)
        cache.set(STATE_CACHE_KEY, cached, STATE_CACHE_SECONDS)
    return cached[1:] if cached[0] == "built" else None


@dataclass(frozen=True)
class RollupPlan:
    """Whole months [first_month, end_month) come from the rollup rows matching `team_q`; the leads of
    the period outside them (and `extra_q`: leads the filter counts that the team key cannot) from raw."""

    first_month: date
    end_month: date
    team_q: Q
    extra_q: Q | None
    covers_period: bool

    def covered_q(self, prefix="received_at"):
        return Q(**{f"{prefix}__gte": day_start(self.first_month), f"{prefix}__lt": day_start(self.end_month)})


def funnel_plan(*, report_filter, scope, group_by):
    """The one place deciding whether the funnel reads the rollup: only the groupings it holds, no
    person / source / region filter, the director's or a qualification lead's scope, and at least one
    whole month of the period held. None: the exact raw computation."""
    if group_by not in FUNNEL_KIND:
        return None
    if report_filter.person_id or report_filter.source_id or report_filter.region:
        return None
    team_q, extra_q = Q(), None
    if not scope.sees_all:
        team_ids = scope.team_ids or frozenset()
        if scope.lead_q != Q(qualification_team_id=next(iter(team_ids), None)) or len(team_ids) != 1:
            return None  # a sales manager's scope reaches leads by their rep's team: not a rollup key
        team_q = Q(team_id__in=team_ids)
        if report_filter.team_id and report_filter.team_id not in team_ids:
            return None
    elif report_filter.team_id:
        team_q = Q(team_id=report_filter.team_id)
        # the team filter also counts leads handed to the team's reps: those of other teams come from raw
        extra_q = Q(sales_rep__profile__team_id=report_filter.team_id) & ~Q(qualification_team_id=report_filter.team_id)
    state = rollup_state()
    if state is None:
        return None
    covered_from, covered_until = state
    period = report_filter.period
    tz = local_tz()
    start_day = timezone.localdate(period.start, timezone=tz)
    end_day = timezone.localdate(period.end, timezone=tz)
    if day_start(start_day) != period.start or day_start(end_day) != period.end:
        return None
    first = max(start_day, covered_from)
    first = first if first.day == 1 else next_month(first)
    last = min(end_day, covered_until, today())
    last = month_start(last)
    if first >= last:
        return None
    covers = first == start_day and last == end_day
    return RollupPlan(first_month=first, end_month=last, team_q=team_q, extra_q=extra_q, covers_period=covers)
