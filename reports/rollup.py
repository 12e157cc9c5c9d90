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
received today is missing; a held month with a lead changed since the last refresh (`stale_months`)
is read raw too, so a figure equals its raw drill-down list at every moment. Kept current by
`rollup_refresh` (Celery beat, every few minutes: the days of the leads whose `updated_at` moved since
the last run, and the days up to yesterday) and `rollup_rebuild` (nightly, the recent days;
`manage.py rebuild_report_rollup`).
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone

from leadflow.db import Seconds, analyze
from leadflow.models import Lead, LeadStatus

from .models import CriteriaDailyRollup, DailyLeadRollup, LeadDurationHistogram, RollupState

BUCKET_RATIO = 1.02
MAX_RELATIVE_ERROR = math.sqrt(BUCKET_RATIO) - 1  # 0.00995
ZERO_BUCKET = 1_000_000  # a duration of exactly 0
NEGATIVE_BUCKETS = 2_000_000  # a negative duration -v sits in NEGATIVE_BUCKETS + bucket(v)
STATE_CACHE_KEY = "reports:rollup-state:{database}"  # per database: a test run may share the cache
STATE_CACHE_SECONDS = 60
NIGHTLY_DAYS = 62
CHANGE_OVERLAP = timedelta(minutes=10)  # a transaction may commit a little after its updated_at

WON = Q(status=LeadStatus.WON)
UNCALLED_DUE = Q(first_call_at__isnull=True, sla_breach_at__isnull=False)

# metric → (duration (end, start), only for the leads matching): the funnel's stage times and cycle, the
# speed page's first call (= t_call), system part and people part
METRICS = {
    "t_call": (("first_call_at", "received_at"), None),
    "t_qualify": (("qualified_at", "first_call_at"), None),
    "t_handoff": (("handed_off_at", "qualified_at"), None),
    "t_accept": (("accepted_at", "handed_off_at"), None),
    "t_measure": (("measured_at", "accepted_at"), None),
    "t_close": (("closed_at", "measured_at"), WON),
    "cycle_p50": (("closed_at", "received_at"), WON),
    "system": (("claimed_at", "received_at"), None),
    "people": (("first_call_at", "claimed_at"), Q(first_call_at__gte=F("claimed_at"))),
}
SPEED_METRICS = ("t_call", "system", "people")

COUNTS = {
    "received": Q(),
    "called": Q(first_call_at__isnull=False),
    "qualified": Q(qualified_at__isnull=False),
    "handed_off": Q(handed_off_at__isnull=False),
    "accepted": Q(accepted_at__isnull=False),
    "measured": Q(measured_at__isnull=False),
    "won": WON,
    "within_warn": Q(first_call_at__lte=F("sla_warn_at")),
    "within_breach": Q(first_call_at__lte=F("sla_breach_at")),
    "uncalled_due": UNCALLED_DUE,
}
SUM_KEYS = [*COUNTS, "revenue"]


def _value_of(kind):
    """The SQL value of a lead in the dimension `kind` (None: the kind has no value column)."""
    from .selectors.common import FUNNEL_CREDIT, SPEED_CREDIT, credited_person_id

    tz = local_tz()
    return {
        "funnel_person": lambda: credited_person_id(FUNNEL_CREDIT),
        "speed_person": lambda: credited_person_id(SPEED_CREDIT),
        "source": lambda: F("source_id"),
        "hour": lambda: ExtractHour("received_at", tzinfo=tz),
        "slot": lambda: ExtractIsoWeekDay("received_at", tzinfo=tz) * 100 + ExtractHour("received_at", tzinfo=tz),
    }.get(kind)


# kind → (the histograms kept per row and month, whether it has daily count rows): the groupings of the
# funnel (team = "all" per team, qualifier, source, region) and of the speed page (team, qualifier,
# source, hour), the speed heat map (slot = weekday × hour: counts from "hour" by the day's weekday) and
# its weekly trend (week: histograms per week within the month, counts from "all" by the day's week)
KINDS = {
    "all": (tuple(METRICS), True),
    "funnel_person": (("cycle_p50",), True),
    "speed_person": (SPEED_METRICS, True),
    "source": (("cycle_p50", *SPEED_METRICS), True),
    "region": (("cycle_p50",), True),
    "hour": (SPEED_METRICS, True),
    "slot": (("t_call",), False),
    "week": (SPEED_METRICS, False),
}
FUNNEL_KIND = {"team": "all", "qualifier": "funnel_person", "source": "source", "region": "region"}
SPEED_KIND = {"team": "all", "qualifier": "speed_person", "source": "source", "hour": "hour"}


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


# --- build -------------------------------------------------------------------------------------------


def _kind_rows(leads, kind):
    value_expr = _value_of(kind)
    return leads.annotate(
        r_kind=Value(kind),
        r_team=F("qualification_team_id"),
        r_value=value_expr() if value_expr else Cast(Value(None), BigIntegerField()),
        r_label=Coalesce(F("region"), Value("")) if kind == "region" else Value(""),
        r_week=TruncWeek("received_at", tzinfo=local_tz(), output_field=DateField())
        if kind == "week"
        else Cast(Value(None), DateField()),
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
    aggregates["revenue"] = Sum("deal_amount", filter=WON)
    aggregates["uncalled_due_max"] = Max("sla_breach_at", filter=UNCALLED_DUE)
    for kind, (_metrics, daily) in KINDS.items():
        if not daily:
            continue
        rows = (
            _kind_rows(_leads_received(first_day, last_day_exclusive), kind)
            .annotate(r_day=TruncDate("received_at", tzinfo=tz))
            .values("r_day", "r_kind", "r_team", "r_value", "r_label")
            .annotate(**aggregates)
            .order_by()
        )
        columns = [("day", "r_day"), *KEY_COLUMNS, *[(key, key) for key in aggregates]]
        _insert_select(DailyLeadRollup, columns, rows)
    _build_criteria_days(first_day, last_day_exclusive)


def _build_criteria_days(first_day, last_day_exclusive):
    """The criteria page's rows of the days [first_day, last_day_exclusive): the same grouped sums as the
    page computes raw (reports.selectors.criteria.grouped_rows), per day and team; seven queries."""
    from .selectors.criteria import RULE_SUMS, grouped_rows

    tz = local_tz()
    CriteriaDailyRollup.objects.filter(day__gte=first_day, day__lt=last_day_exclusive).delete()
    extra = {
        "r_day": (TruncDate("received_at", tzinfo=tz), TruncDate("lead__received_at", tzinfo=tz)),
        "r_team": (F("qualification_team_id"), F("lead__qualification_team_id")),
    }
    rows = grouped_rows(leads=_leads_received(first_day, last_day_exclusive), extra=extra, visits=True)
    CriteriaDailyRollup.objects.bulk_create(
        (
            CriteriaDailyRollup(
                day=row["r_day"].date() if isinstance(row["r_day"], datetime) else row["r_day"],
                team_id=row["r_team"],
                dimension=row["dimension"],
                key=row["key"],
                num=row["num"],
                **{name: row[name] or 0 for name in RULE_SUMS if name != "revenue"},
                revenue=row["revenue"],
            )
            for row in rows
        ),
        batch_size=1000,
    )


def _build_months(first_month, last_month_exclusive):
    """Histograms of the whole months [first_month, last_month_exclusive)."""
    tz = local_tz()
    LeadDurationHistogram.objects.filter(months=1, month__gte=first_month, month__lt=last_month_exclusive).delete()
    for kind, (metrics, _daily) in KINDS.items():
        for metric in metrics:
            (end, start), only = METRICS[metric]
            leads = _leads_received(first_month, last_month_exclusive)
            if only is not None:
                leads = leads.filter(only)
            rows = (
                _kind_rows(leads, kind)
                .annotate(
                    r_month=TruncMonth("received_at", tzinfo=tz, output_field=DateField()),
                    r_months=Value(1),
                    r_metric=Value(metric),
                )
                .annotate(r_bucket=Bucket(Seconds(end, start)))
                .filter(r_bucket__isnull=False)
                .values(
                    "r_month", "r_months", "r_kind", "r_team", "r_value", "r_label", "r_week", "r_metric", "r_bucket"
                )
                .annotate(r_n=Count("pk"))
                .order_by()
            )
            columns = [
                ("month", "r_month"),
                ("months", "r_months"),
                *KEY_COLUMNS,
                ("week", "r_week"),
                ("metric", "r_metric"),
                ("bucket", "r_bucket"),
                ("n", "r_n"),
            ]
            _insert_select(LeadDurationHistogram, columns, rows)
    month, spans = first_month, set()
    while month < last_month_exclusive:
        spans.add((month.replace(month=1 + 3 * ((month.month - 1) // 3)), 3))
        spans.add((month.replace(month=1), 12))
        month = next_month(month)
    for start, months in sorted(spans):
        _build_span(start, months)


def _build_span(start, months):
    """The quarter or year rows starting at `start`: the sums of its month rows (a year read as 12
    months' rows made the year's speed page sort 5× more rows)."""
    end = start
    for _i in range(months):
        end = next_month(end)
    LeadDurationHistogram.objects.filter(months=months, month=start).delete()
    rows = (
        LeadDurationHistogram.objects.filter(months=1, month__gte=start, month__lt=end)
        .annotate(r_month=Value(start, output_field=DateField()), r_months=Value(months))
        .values("r_month", "r_months", "kind", "team_id", "value", "label", "week", "metric", "bucket")
        .annotate(r_n=Sum("n"))
        .order_by()
    )
    columns = [("month", "r_month"), ("months", "r_months")]
    columns += [(name, name) for name in ("kind", "team_id", "value", "label", "week", "metric", "bucket")]
    _insert_select(LeadDurationHistogram, [*columns, ("n", "r_n")], rows)


def spans(first_month, end_month):
    """[(months, first month)] of the histogram rows that sum to the months [first_month, end_month):
    whole calendar years, then whole quarters, then single months."""
    result, month = [], first_month
    while month < end_month:
        for months in (12, 3, 1):
            if (month.month - 1) % months:
                continue
            end = month
            for _i in range(months):
                end = next_month(end)
            if end <= end_month:
                result.append((months, month))
                month = end
                break
    return result


def spans_q(first_month, end_month, *, skip=frozenset()):
    """The histogram rows of the months [first_month, end_month) but the months of `skip`."""
    q = Q(pk__in=[])
    for start, end in _segments(first_month, end_month, skip):
        for months, month in spans(start, end):
            q |= Q(months=months, month=month)
    return q


def _segments(first_month, end_month, skip):
    """[(start, end)]: the runs of consecutive months of [first_month, end_month) not in `skip`."""
    result, month, start = [], first_month, None
    while month < end_month:
        if month in skip:
            if start is not None:
                result.append((start, month))
            start = None
        elif start is None:
            start = month
        month = next_month(month)
    if start is not None:
        result.append((start, end_month))
    return result


def _state_key():
    return STATE_CACHE_KEY.format(database=connection.settings_dict["NAME"])


def forget_state():
    """Drop the cached state (rollup_state): a rebuild, and tests whose database was rolled back."""
    cache.delete(_state_key())


def _forget_state():
    forget_state()
    transaction.on_commit(forget_state)


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
    _analyze()
    return state


def _analyze():
    """Fresh planner statistics after a rebuild (PostgreSQL): without them the read sorts on disk."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        analyze(DailyLeadRollup, LeadDurationHistogram, CriteriaDailyRollup)


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
            .order_by()
            .distinct()
        )
        changed |= _criteria_days_changed(since, state.covered_from, state.covered_until)
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


def _criteria_days_changed(since, first_day, end_day):
    """Held days whose criteria rows moved without a lead of theirs changing: a lead won since `since`
    made an earlier disqualified lead of its phone "bought later"; a visit changed (the what-if's hours)."""
    from sales.models import Visit

    received = Q(received_at__gte=day_start(first_day), received_at__lt=day_start(end_day))
    won_phones = Lead.objects.filter(updated_at__gte=since, status=LeadStatus.WON).values("phone")
    visited = Visit.objects.filter(updated_at__gte=since).values("lead_id")
    comebacks = Lead.objects.filter(received, phone__in=won_phones, disqualified_at__isnull=False)
    return _days_of(comebacks) | _days_of(Lead.objects.filter(received, pk__in=visited))


# --- read --------------------------------------------------------------------------------------------


def rollup_state():
    """(covered_from, covered_until, changes_seen_until) or None; cached for a minute (a rebuild or a
    refresh forgets it; an older `changes_seen_until` only makes stale_months more careful)."""
    key = _state_key()
    cached = cache.get(key)
    if cached is None:
        state = RollupState.objects.values_list("covered_from", "covered_until", "changes_seen_until").first()
        cached = ("built", *state) if state else ("none",)
        cache.set(key, cached, STATE_CACHE_SECONDS)
    return cached[1:] if cached[0] == "built" else None


def stale_months(first_month, end_month, changes_seen_until):
    """The months of [first_month, end_month) holding a lead changed (`updated_at`) since the rollup's
    last refresh (less CHANGE_OVERLAP: a change committed after the refresh's snapshot): their rows may
    be out of date, the page reads them raw. One query on the `updated_at` index (leadflow 0021)."""
    since = changes_seen_until - CHANGE_OVERLAP
    months = (
        Lead.objects.filter(
            updated_at__gte=since, received_at__gte=day_start(first_month), received_at__lt=day_start(end_month)
        )
        .annotate(r_month=TruncMonth("received_at", tzinfo=local_tz(), output_field=DateField()))
        .values_list("r_month", flat=True)
        .order_by()
        .distinct()
    )
    return frozenset(month.date() if isinstance(month, datetime) else month for month in months)


@dataclass(frozen=True)
class RollupPlan:
    """Whole months [first_month, end_month) but the `stale` ones come from the rollup rows matching
    `team_q`; the leads of the period outside them (the stale months' too, and `extra_q`: leads the
    filter counts that the team key cannot) from raw."""

    first_month: date
    end_month: date
    team_q: Q
    extra_q: Q | None
    covers_period: bool
    stale: frozenset = frozenset()

    def covered_q(self, prefix="received_at"):
        q = Q(**{f"{prefix}__gte": day_start(self.first_month), f"{prefix}__lt": day_start(self.end_month)})
        for month in sorted(self.stale):
            q &= ~Q(**{f"{prefix}__gte": day_start(month), f"{prefix}__lt": day_start(next_month(month))})
        return q

    def days_q(self):
        """The held day rows (DailyLeadRollup.day)."""
        q = Q(day__gte=self.first_month, day__lt=self.end_month)
        for month in sorted(self.stale):
            q &= ~Q(day__gte=month, day__lt=next_month(month))
        return q

    def spans_q(self):
        """The held histogram rows (LeadDurationHistogram's month spans)."""
        return spans_q(self.first_month, self.end_month, skip=self.stale)

    def tail(self, leads):
        """The leads of `leads` (the period's, filtered) the rollup does not hold; None when there are none
        to read (the period is whole held months and the team key says it all)."""
        if self.covers_period and self.extra_q is None:
            return None
        held = self.covered_q()
        outside = ~held
        if self.extra_q is not None:
            outside |= held & self.extra_q
        return leads.filter(outside)


def funnel_plan(*, report_filter, scope, group_by):
    """Whether the funnel reads the rollup (rollup_plan), for its groupings."""
    if group_by not in FUNNEL_KIND:
        return None
    return rollup_plan(report_filter=report_filter, scope=scope)


def speed_plan(*, report_filter, scope, group_by):
    """Whether the speed page reads the rollup (rollup_plan), for its groupings."""
    if group_by not in SPEED_KIND:
        return None
    return rollup_plan(report_filter=report_filter, scope=scope)


def rollup_plan(*, report_filter, scope):
    """The one place deciding whether a page reads the rollup: no person / source / region filter, the
    director's or a qualification lead's scope (a team filter: its team's rows, and from raw the leads
    of other teams handed to its reps), and at least one whole month of the period held; the period's
    other days come from raw. None: the exact raw computation."""
    narrowed = bool(report_filter.person_id or report_filter.source_id or report_filter.region)
    keys = rollup_keys(scope=scope, team_id=report_filter.team_id, narrowed=narrowed)
    if keys is None:
        return None
    team_q, extra_team = keys
    extra_q = None
    if extra_team is not None:
        # the team filter also counts leads handed to the team's reps: those of other teams come from raw
        extra_q = Q(sales_rep__profile__team_id=extra_team) & ~Q(qualification_team_id=extra_team)
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return None  # the rollup's days, hours and weeks are those of settings.TIME_ZONE
    state = rollup_state()
    if state is None:
        return None
    covered_from, covered_until, changes_seen_until = state
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
    stale = stale_months(first, last, changes_seen_until)
    if not _segments(first, last, stale):
        return None  # every month changed since the refresh
    covers = first == start_day and last == end_day and not stale
    return RollupPlan(
        first_month=first, end_month=last, team_q=team_q, extra_q=extra_q, covers_period=covers, stale=stale
    )


def rollup_keys(*, scope, team_id=None, narrowed=False):
    """(the Q over the rollup rows' team, the team whose reps' leads of other teams a team filter also
    counts or None), or None when the rollup's keys cannot say which leads a page counts: a person /
    source / region filter (`narrowed`), a sales manager's scope (leads by their rep's team). The director
    sees every team; a qualification lead their own."""
    if narrowed:
        return None
    if not scope.sees_all:
        team_ids = scope.team_ids or frozenset()
        if scope.lead_q != Q(qualification_team_id=next(iter(team_ids), None)) or len(team_ids) != 1:
            return None  # a sales manager's scope reaches leads by their rep's team: not a rollup key
        if team_id and team_id not in team_ids:
            return None
        return Q(team_id__in=team_ids), None
    if team_id:
        return Q(team_id=team_id), team_id
    return Q(), None


@dataclass(frozen=True)
class DayPlan:
    """The criteria page's plan (issue 17): the held days [first_day, end_day) but the `stale` ones come
    from the CriteriaDailyRollup rows matching `team_q`; the rest of the period (its first and last
    part days, today, the stale days) and the leads a team filter counts through its reps
    (`extra_team`) are computed raw. Counts and sums only, so any period splits at day boundaries."""

    start: datetime
    end: datetime
    first_day: date
    end_day: date
    team_q: Q
    extra_team: int | None = None
    stale: frozenset = frozenset()

    def days_q(self):
        q = Q(day__gte=self.first_day, day__lt=self.end_day)
        return q & ~Q(day__in=sorted(self.stale)) if self.stale else q

    def held_q(self, prefix=""):
        field = f"{prefix}received_at"
        q = Q(**{f"{field}__gte": day_start(self.first_day), f"{field}__lt": day_start(self.end_day)})
        for day in sorted(self.stale):
            q &= ~Q(**{f"{field}__gte": day_start(day), f"{field}__lt": day_start(day + timedelta(days=1))})
        return q

    def outside_q(self, prefix=""):
        """The leads of the period [start, end) (prefix "lead__": their answers) the rollup does not hold: the
        part days at both ends and the stale days, as closed ranges of `received_at` (PostgreSQL estimates
        those from its histogram; a NOT of the held range it estimated at 25 times the rows and then
        started the answers' query from all the answers)."""
        field = f"{prefix}received_at"
        ranges = []
        if self.start < day_start(self.first_day):
            ranges.append((self.start, day_start(self.first_day)))
        ranges += [(day_start(day), day_start(day + timedelta(days=1))) for day in sorted(self.stale)]
        if day_start(self.end_day) < self.end:
            ranges.append((day_start(self.end_day), self.end))
        outside = Q(pk__in=[])
        for low, high in ranges:
            outside |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
        if self.extra_team is not None:
            team = self.extra_team
            reps = Q(**{f"{prefix}sales_rep__profile__team_id": team}) & ~Q(**{f"{prefix}qualification_team_id": team})
            outside |= self.held_q(prefix) & reps
        return outside

    def tail(self, leads):
        return leads.filter(self.outside_q())


def day_plan(*, start, end, scope, team_id=None, narrowed=False, reps_of_team=True):
    """The held days of [start, end) for the criteria page and its what-if (DayPlan), or None: compute it
    all raw (a filter the rollup cannot key, no rollup, no whole held day in the period, every day stale).
    `reps_of_team`: a team filter also counts the leads handed to its reps (the page's filter does; the
    what-if's team is the qualification team only)."""
    keys = rollup_keys(scope=scope, team_id=team_id, narrowed=narrowed)
    state = rollup_state() if keys is not None else None
    if state is None:
        return None
    team_q, extra_team = keys
    covered_from, covered_until, changes_seen_until = state
    tz = local_tz()
    first = timezone.localdate(start, timezone=tz)
    if day_start(first) < start:
        first += timedelta(days=1)
    first = max(first, covered_from)
    last = min(timezone.localdate(end, timezone=tz), covered_until, today())
    if first >= last:
        return None
    stale = stale_days(first, last, changes_seen_until)
    if len(stale) >= (last - first).days:
        return None
    return DayPlan(start, end, first, last, team_q, extra_team if reps_of_team else None, stale)


def _days_of(leads):
    days = leads.annotate(r_day=TruncDate("received_at", tzinfo=local_tz())).values_list("r_day", flat=True)
    return {day.date() if isinstance(day, datetime) else day for day in days.order_by().distinct()}


def stale_days(first_day, end_day, changes_seen_until):
    """The days of [first_day, end_day) whose criteria rows may be out of date: a lead received on them
    changed since the rollup's last refresh, or a lead won since then brought back one of their
    disqualified leads' phones ("disqualified, bought later"). Two queries on indexes."""
    since = changes_seen_until - CHANGE_OVERLAP
    received = Q(received_at__gte=day_start(first_day), received_at__lt=day_start(end_day))
    changed = Lead.objects.filter(updated_at__gte=since)
    won_phones = changed.filter(status=LeadStatus.WON).values("phone")
    comebacks = Lead.objects.filter(received, phone__in=won_phones, disqualified_at__isnull=False)
    return frozenset(_days_of(changed.filter(received)) | _days_of(comebacks))


# dimension → (the histogram kind, its group column, the same value over Lead for the raw rest)
def _dimensions():
    from .selectors.common import FUNNEL_CREDIT, SPEED_CREDIT, credited_person_id

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
