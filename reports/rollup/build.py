"""Build the rollup and keep it current: the full rebuild, the nightly and the incremental refresh."""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, DateField, F, Max, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from leadflow.db import Seconds, analyze
from leadflow.models import Lead, LeadStatus

# --- build -------------------------------------------------------------------------------------------
from ..models import CriteriaDailyRollup, DailyLeadRollup, LeadDurationHistogram, RollupState
from .buckets import Bucket
from .days import _days_of
from .keys import COUNTS, KINDS, METRICS, UNCALLED_DUE, WON, _value_of, day_start, local_tz, month_start, next_month
from .state import CHANGE_OVERLAP, _forget_state


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
    from ..selectors.criteria import RULE_SUMS, grouped_rows

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
