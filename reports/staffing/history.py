"""The team's history for the planner (selectors): three aggregate queries over a bounded window of days.

Nothing is read one row per lead (docs/decisions.md, "Staffing planner at 1,000,000 leads"):
- arrivals as counts per minute (`received_at` truncated to the minute, GROUP BY): at most one row per
  minute of the window (≤ 40,320 for four weeks) whatever the volume; the replay puts that many leads
  at the minute's start;
- handle times as a histogram in 6-second buckets (claim → end of the first call, the first call's
  duration found by a join on `called_at = first_call_at`, not a subquery per lead), ≤ 601 rows;
- the call outcomes as one aggregate row (share answered, callbacks asked, calls per lead).
The window is HISTORY_WEEKS weeks, so the cost follows four weeks of leads, not the table's size.
"""

from datetime import UTC, timedelta

from django.db.models import Count, F, FilteredRelation, FloatField, Q, Value
from django.db.models.functions import Cast, Coalesce, Least, Round, TruncMinute

from leadflow.db import Seconds
from leadflow.models import Lead
from qualification.models import CallAttempt

from .model import History, local_midnight

HISTORY_WEEKS = 4
MAX_HANDLE_MINUTES = 60.0  # a claim left open for hours is not a call's handle time
HANDLE_BUCKET_SECONDS = 6  # the histogram's resolution: a tenth of a minute


def history_window(today, weeks=HISTORY_WEEKS):
    """The last `weeks` whole weeks (Monday to Sunday) before the week of `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7 * weeks), 7 * weeks


def team_history(team, *, first_day, days):
    tz = team_tz(team)
    start = local_midnight(first_day, tz)
    end = local_midnight(first_day + timedelta(days=days), tz)
    leads = Lead.objects.filter(
        qualification_team_id=team.pk, received_at__gte=start, received_at__lt=end, merged_into__isnull=True
    )
    return History(
        first_day=first_day,
        days=days,
        arrivals=arrival_counts(leads),
        handle_minutes=handle_histogram(leads),
        **call_shares(leads),
    )


def arrival_counts(leads):
    """[(minute, leads received in it)], sorted: one row per minute with arrivals."""
    rows = (
        leads.order_by()
        .annotate(minute=TruncMinute("received_at", tzinfo=UTC))
        .values("minute")
        .annotate(n=Count("pk"))
        .order_by("minute")
        .values_list("minute", "n")
    )
    return list(rows)


def handle_histogram(leads):
    """{minutes: how many leads}: claim → end of the first call, capped at MAX_HANDLE_MINUTES, in
    HANDLE_BUCKET_SECONDS buckets. The first call's duration comes from a join (FilteredRelation)."""
    seconds = Seconds(F("first_call_at"), F("claimed_at")) + Coalesce(
        Cast("first_call__duration_seconds", FloatField()), Value(0.0)
    )
    bucket = Round(Least(seconds, Value(MAX_HANDLE_MINUTES * 60)) / Value(float(HANDLE_BUCKET_SECONDS)))
    rows = (
        leads.order_by()
        .filter(claimed_at__isnull=False, first_call_at__isnull=False, first_call_at__gte=F("claimed_at"))
        .annotate(
            first_call=FilteredRelation("call_attempts", condition=Q(call_attempts__called_at=F("first_call_at")))
        )
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    )
    histogram = {}
    for bucket_value, n in rows:
        minutes = (bucket_value or 0) * HANDLE_BUCKET_SECONDS / 60
        histogram[minutes] = histogram.get(minutes, 0) + n
    return dict(sorted(histogram.items()))


def call_shares(leads):
    answered = (CallAttempt.Outcome.REACHED, CallAttempt.Outcome.CALLBACK)
    calls = CallAttempt.objects.filter(lead__in=leads.values("pk"), direction=CallAttempt.Direction.OUTBOUND).aggregate(
        calls=Count("pk"),
        answered=Count("pk", filter=Q(outcome__in=answered)),
        callbacks=Count("pk", filter=Q(outcome=CallAttempt.Outcome.CALLBACK)),
        leads=Count("lead_id", distinct=True),
    )
    return {
        "answered_share": calls["answered"] / calls["calls"] if calls["calls"] else 1.0,
        "callback_share": calls["callbacks"] / calls["answered"] if calls["answered"] else 0.0,
        "calls_per_lead": calls["calls"] / calls["leads"] if calls["leads"] else 1.0,
    }


def team_tz(team):
    from leadflow.workhours import WorkCalendar

    return WorkCalendar(time_zone=team.time_zone, windows={}).tz
