"""The weekly digest's figures (issue 13 §3): last week against the week before, in a viewer's scope.

Each figure is read through the dashboard selector that shows it, so the digest and the pages agree:
the speed page's aggregates over the leads received in the week (received, called within 15 min,
median time to first call) plus the funnel's "qualified" of the same leads; the hand-off page's
reconciliation (hand-offs made − disputes upheld = net); measurements and won deals by their own
date (`won_revenue`, basis "event"). Five queries per week, whatever the data.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from leadflow import roles

from ..models import PilotTarget
from .common import Period, ReportFilter
from .funnel import lead_base, won_revenue
from .handoff import handoff_quality
from .speed import finish_speed_row, speed_aggregates

# (key, display kind of reports.tables.display, lower is better); PilotTarget.Figure has the same keys
FIGURES = [
    ("leads", "int", False),
    ("warn_share", "pct", False),
    ("first_call_p50_min", "min", True),
    ("qualified", "int", False),
    ("handed_off_net", "int", False),
    ("upheld", "int", True),
    ("measured", "int", False),
    ("won", "int", False),
    ("revenue", "money", False),
]


def week_period(week_start):
    """Monday 00:00 → next Monday 00:00 in the local time zone (Moscow)."""
    start = timezone.make_aware(datetime.combine(week_start, time.min))
    return Period(start, timezone.make_aware(datetime.combine(week_start + timedelta(days=7), time.min)))


def week_figures(*, period, scope, now=None):
    now = now or timezone.now()
    report_filter = ReportFilter(period=period)
    received = lead_base(report_filter=report_filter, scope=scope).aggregate(
        **speed_aggregates(now), qualified=Count("pk", filter=Q(qualified_at__isnull=False))
    )
    speed = finish_speed_row(received)
    handoffs = handoff_quality(report_filter=report_filter, scope=scope)["reconciliation"]
    measured = lead_base(report_filter=report_filter, scope=scope, date_field="measured_at").count()
    won = won_revenue(report_filter=report_filter, scope=scope, basis="event")
    return {
        "leads": speed["leads"],
        "warn_share": speed["warn_share"],
        "first_call_p50_min": speed["first_call_p50_min"],
        "qualified": speed["qualified"],
        "handed_off_net": handoffs["net"],
        "upheld": handoffs["upheld"],
        "measured": measured,
        "won": won["won"],
        "revenue": won["revenue"] or 0,
    }


def targets_for_week(week_start):
    """{figure: value} of the targets in force on the week's Monday (the latest one per figure)."""
    in_force = PilotTarget.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=week_start), valid_from__lte=week_start
    ).order_by("figure", "valid_from")
    return {target.figure: target.value for target in in_force}


def weekly_digest(*, week_start, scope, targets=None, now=None):
    """Rows (figure, last week, the week before, change, better?, target) for the week of `week_start`."""
    this = week_figures(period=week_period(week_start), scope=scope, now=now)
    before = week_figures(period=week_period(week_start - timedelta(days=7)), scope=scope, now=now)
    targets = targets_for_week(week_start) if targets is None else targets
    rows = []
    for key, kind, lower_is_better in FIGURES:
        value, previous = this[key], before[key]
        change = None if value is None or previous is None else value - previous
        better = None
        if change:
            better = (change < 0) if lower_is_better else (change > 0)
        rows.append(
            {
                "key": key,
                "kind": kind,
                "label": PilotTarget.Figure(key).label,
                "value": value,
                "previous": previous,
                "change": change,
                "better": better,
                "target": targets.get(key),
            }
        )
    return rows


def digest_recipients():
    """Who gets the digest: the active directors, qualification leads and sales managers (the people
    the team dashboards are for); each then sees the figures of their own report scope."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, groups__name__in=[roles.DIRECTOR, roles.QUALIFICATION_LEAD, roles.SALES_MANAGER]
        )
        .distinct()
        .order_by("pk")
    )


def last_week_start(today=None):
    """The Monday of the week before the current one (local date)."""
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday() + 7)
