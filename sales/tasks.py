"""Celery tasks of the deal board. Each re-reads state and is safe to run twice.

Beat entries (settings.CELERY_BEAT_SCHEDULE): acceptance_sweep every minute; visit_reminders_evening
once in the evening (e.g. 18:00); visit_reminders_morning once in the morning (e.g. 08:00).
"""

from celery import shared_task


@shared_task(ignore_result=True)
def acceptance_sweep():
    """Flag hand-offs not accepted or disputed within the acceptance window; notify the sales manager."""
    from .services import handoff_flag_overdue

    return handoff_flag_overdue()


@shared_task(ignore_result=True)
def visit_reminders_evening():
    """Remind each rep of tomorrow's measurement visits."""
    from .services import visit_reminders_evening as remind

    return remind()


@shared_task(ignore_result=True)
def visit_reminders_morning():
    """Send each rep the client's details of today's measurement visits."""
    from .services import visit_reminders_morning as remind

    return remind()
