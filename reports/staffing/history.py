"""The team's history for the planner (selectors): two queries over a bounded window of days.

The replay needs every arrival's moment, so the arrivals are read raw (one indexed range scan on
`received_at` per team), never the whole table: the window is HISTORY_WEEKS weeks, the same cost at
3,000 leads as at 1,000,000 (docs/decisions.md, "Staffing planner: history").
"""

from datetime import timedelta

from django.db.models import Count, OuterRef, Q, Subquery

from leadflow.models import Lead
from qualification.models import CallAttempt

from .model import History, local_midnight

HISTORY_WEEKS = 4
MAX_HANDLE_MINUTES = 60.0  # a claim left open for hours is not a call's handle time


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
    first_call = CallAttempt.objects.filter(lead_id=OuterRef("pk"), called_at=OuterRef("first_call_at"))
    rows = leads.annotate(first_duration=Subquery(first_call.values("duration_seconds")[:1])).values_list(
        "received_at", "claimed_at", "first_call_at", "first_duration"
    )
    arrivals, handle = [], []
    for received, claimed, called, duration in rows.order_by("received_at"):
        arrivals.append(received)
        if claimed is not None and called is not None and called >= claimed:
            minutes = (called - claimed).total_seconds() / 60 + (duration or 0) / 60
            handle.append(min(MAX_HANDLE_MINUTES, minutes))
    answered = (CallAttempt.Outcome.REACHED, CallAttempt.Outcome.CALLBACK)
    calls = CallAttempt.objects.filter(lead__in=leads.values("pk"), direction=CallAttempt.Direction.OUTBOUND).aggregate(
        calls=Count("pk"),
        answered=Count("pk", filter=Q(outcome__in=answered)),
        callbacks=Count("pk", filter=Q(outcome=CallAttempt.Outcome.CALLBACK)),
        leads=Count("lead_id", distinct=True),
    )
    return History(
        first_day=first_day,
        days=days,
        arrivals=arrivals,
        handle_minutes=handle,
        answered_share=calls["answered"] / calls["calls"] if calls["calls"] else 1.0,
        callback_share=calls["callbacks"] / calls["answered"] if calls["answered"] else 0.0,
        calls_per_lead=calls["calls"] / calls["leads"] if calls["leads"] else 1.0,
    )


def team_tz(team):
    from leadflow.workhours import WorkCalendar

    return WorkCalendar(time_zone=team.time_zone, windows={}).tz
