"""Celery tasks of the deal board. Each takes ids, re-reads state and is safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def acceptance_sweep():
    """Flag hand-offs not accepted or disputed within the acceptance window; notify the sales manager."""
    from .services import handoff_flag_overdue

    return handoff_flag_overdue()
