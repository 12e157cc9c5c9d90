"""The sweep: run every check whose deadline passed (lost message, dead worker, broker down)."""

from django.db.models import Q
from django.utils import timezone

from leadflow.models import OPEN_STATUSES, Lead, SlaState

from .checks import sla_checks_run
from .common import BREACH, RUNNING_STATES, WARN, log
from .shift import SlaContext


def sla_due_queryset(*, now):
    """Leads whose warning or breach deadline passed while their clock still runs.

    Only rows of the partial index lead_sla_open_idx (sla_state pending/warned) qualify, so the
    query reads the small set of leads whose clock runs, never the closed history.
    """
    return (
        Lead.objects.filter(sla_state__in=RUNNING_STATES, first_call_at__isnull=True)
        .filter(Q(sla_breach_at__lte=now) | Q(sla_state=SlaState.PENDING, sla_warn_at__lte=now))
        .order_by("sla_breach_at", "pk")
    )


def sla_leads_due(*, now=None):
    """(id, kind) of every lead whose check is due: 'breach' once the breach deadline passed."""
    now = now or timezone.now()
    rows = sla_due_queryset(now=now).values_list("pk", "sla_breach_at", "status")
    # the status test runs here, not in SQL: with it the planner also reads the status index over
    # every open lead (BitmapAnd), 20 ms at 100,000 open leads instead of ~1 ms
    return [
        (pk, BREACH if breach_at is not None and breach_at <= now else WARN)
        for pk, breach_at, status in rows
        if status in OPEN_STATUSES
    ]


def sla_sweep(*, now=None, chunk=1000) -> dict:
    """Run every overdue check (lost message, dead worker, broker down at intake). Idempotent.

    Up to `chunk` leads at a time in one transaction through `sla_checks_run`, whose statements do not
    grow with the number of leads: a backlog of a thousand costs about as many queries as one lead
    (docs/performance.md). If a batch fails, its leads are checked one by one, each in its own
    transaction, so one bad lead is logged and skipped and the others still move.
    """
    now = now or timezone.now()
    context = SlaContext()
    totals = {"due": 0, "warned": 0, "breached": 0, "failed": 0}
    due = sla_leads_due(now=now)
    for start in range(0, len(due), chunk):
        part = due[start : start + chunk]
        totals["due"] += len(part)
        try:
            steps = sla_checks_run(due=part, now=now, context=context)
        except Exception:
            log.exception("SLA sweep: a batch of %s checks failed; checking them one by one", len(part))
            context = SlaContext()  # what the failed batch counted (held leads) was rolled back
            steps = _one_by_one(part, now=now, context=context, totals=totals)
        for taken in steps.values():
            for step in taken:
                totals[step] += 1
    if totals["due"]:
        log.info("SLA sweep: %(due)s due, %(warned)s warned, %(breached)s breached, %(failed)s failed", totals)
    return totals


def _one_by_one(part, *, now, context, totals):
    steps = {}
    for lead_id, kind in part:
        try:
            steps[lead_id] = sla_checks_run(due=[(lead_id, kind)], now=now, context=context).get(lead_id, [])
        except Exception:
            log.exception("SLA sweep: the %s check of lead %s failed", kind, lead_id)
            totals["failed"] += 1
    return steps
