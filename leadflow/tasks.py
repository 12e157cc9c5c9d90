"""Celery tasks of the pipeline core. Each re-reads state and is safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def personal_data_retention():
    """Daily (beat): anonymise disqualified and lost leads closed longer than the retention period ago.

    Idempotent: an anonymised lead is never due again; batched, so a first run over years of leads
    never holds one long transaction."""
    from .privacy.services import leads_anonymise

    report = leads_anonymise()
    return report.anonymised
