"""Scheduling: publish a Celery check at each of a new lead's SLA deadlines."""

from celery import current_app
from django.conf import settings

from leadflow.models import Lead

from .common import BREACH, WARN, log

# Published by name: qualification.tasks imports this package, so importing the task here would close
# an import cycle. QualificationConfig.ready imports the tasks module, so the name is always registered.
SLA_CHECK_TASK = "qualification.tasks.sla_check"


def sla_checks_schedule(*, lead_id: int, warn_at, breach_at) -> int:
    """Publish the warning and breach checks with an ETA; returns how many were published.

    Bounded: no publish retry, and the broker connection times out after
    CELERY_BROKER_CONNECTION_TIMEOUT. On the first failure we stop (the broker is down) and leave
    the lead to the sweep, which needs no message at all.
    """
    published = 0
    for kind, eta in ((WARN, warn_at), (BREACH, breach_at)):
        if eta is None:
            continue
        try:
            current_app.tasks[SLA_CHECK_TASK].apply_async(args=(lead_id, kind), eta=eta, retry=False)
        except Exception:
            log.warning("SLA: could not schedule the %s check of lead %s; the sweep will run it", kind, lead_id)
            break
        published += 1
    return published


def on_lead_received(sender, lead_id, **kwargs):
    """Receiver of leadflow.signals.lead_received (sent after the intake commit): never raises.

    Off by default (SLA_CHECK_MESSAGES): the sweep every SLA_SWEEP_SECONDS (15) fires every check within
    that time of its deadline, and two publishes per lead cost intake more than the sweep costs the
    database (docs/decisions.md, issue 14).
    """
    if not settings.SLA_CHECK_MESSAGES:
        return
    try:
        row = Lead.objects.filter(pk=lead_id).values_list("sla_warn_at", "sla_breach_at").first()
        if row is not None:
            sla_checks_schedule(lead_id=lead_id, warn_at=row[0], breach_at=row[1])
    except Exception:  # the lead is saved; a failure here must not turn the 201 into a 500
        log.exception("SLA: scheduling the checks of lead %s failed; the sweep will run them", lead_id)
