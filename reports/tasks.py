"""Celery tasks of the reports. Each re-reads state and is safe to run twice.

Beat entries (settings.CELERY_BEAT_SCHEDULE): weekly_digest on Mondays at 09:00 Moscow time; rollup_refresh
every REPORT_ROLLUP_REFRESH_SECONDS; rollup_rebuild_recent nightly; staffing_snapshots_refresh nightly.
"""

from datetime import date

from celery import shared_task


@shared_task(ignore_result=True)
def weekly_digest(week_start=None):
    """Send last week's digest (or the week starting on `week_start`, an ISO date of a Monday); a rerun
    sends nothing twice (reports.services.weekly_digest_send). Returns how many were sent."""
    from .selectors.digest import last_week_start
    from .services import weekly_digest_send

    week = date.fromisoformat(week_start) if week_start else last_week_start()
    return len(weekly_digest_send(week_start=week))


@shared_task(ignore_result=True)
def rollup_refresh():
    """Bring the dashboards' rollup up to date: the days of the leads changed since the last run and
    the days up to yesterday (reports.rollup.rollup_refresh). Safe to run twice."""
    from .rollup import rollup_refresh as refresh

    refresh()


@shared_task(ignore_result=True)
def rollup_rebuild_recent():
    """Nightly: rebuild the recent days from scratch (reports.rollup.NIGHTLY_DAYS)."""
    from .rollup import NIGHTLY_DAYS, rollup_rebuild

    rollup_rebuild(days=NIGHTLY_DAYS)


@shared_task(ignore_result=True)
def staffing_snapshots_refresh(team_id=None, target_percent=None, sla_minutes=None):
    """Nightly: the staffing planner's snapshot and backtest of every big team (reports.staffing.snapshot);
    with `team_id`, that team's (queued by its page after a roster change), for the promise given
    (`target_percent` within `sla_minutes`, queued by a what-if that changed it; the backtest not redone)."""
    from .staffing.snapshot import snapshots_refresh

    promise = target_percent is not None or sla_minutes is not None
    return snapshots_refresh(
        team_id=team_id, target_percent=target_percent, sla_minutes=sla_minutes, backtest=not promise
    )


@shared_task(ignore_result=True)
def staffing_backtest_refresh(team_id):
    """The backtest of a big team's last full month (queued by its page when none is kept for its roster)."""
    from leadflow.models import Team

    from .staffing.page import backtest_refresh

    team = Team.objects.filter(pk=team_id).first()
    if team is not None:
        backtest_refresh(team)
