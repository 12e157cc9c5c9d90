"""The queue order: which lead is called next (docs/sla.md, "Queue order").

One rule, written twice on purpose: `queue_sort_key` in plain Python (the simulation in
bench/queue_order_sim.py runs it, tests compare it with the database) and `bucket_expression` /
`due_expression` in SQL for the selectors (the queue page and "Next lead" sort in the database, on the
lead's own columns only, so `SELECT … FOR UPDATE SKIP LOCKED` keeps working). tests/qualification/
test_queue_order.py checks that the two agree.

1. CALLBACK_DUE: a callback promised to the client is due now, or the client called back and the call
   was missed ("клиент перезвонил", `client_called_back_at`), whatever the SLA state; earliest first.
2. IN_TIME: awaiting the first call and the deadline can still be met; earliest deadline first.
3. LATE: awaiting the first call and the deadline has passed; oldest (received first) first.
   Under overload, earliest-deadline-first spends every free qualifier on leads that are already
   late while the savable ones go stale too; calling the savable ones first caps the damage.
4. FOLLOW_UP: the first-call SLA is settled (follow-ups, retries, a callback promised for later); by
   due time: the promised time, else the last activity (a retry released to the pool is due since then).

The module imports without Django settings or a database (the simulation only calls the Python half),
so it cannot import leadflow.models: the SLA states are spelled here and a test holds them equal.
"""

from django.db import models
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

RUNNING = ("pending", "warned")  # leadflow.models.SlaState: the clock runs
AWAITING_FIRST_CALL = (*RUNNING, "breached")  # no call yet: running, or past the deadline


class QueueBucket(models.IntegerChoices):
    CALLBACK_DUE = 1, _("Callback now")
    IN_TIME = 2, _("In time")
    LATE = 3, _("Late")
    FOLLOW_UP = 4, _("Follow-up")


def queue_bucket(lead, now):
    """The bucket of anything with the lead's fields (a Lead, or the simulation's work item)."""
    if (lead.callback_at is not None and lead.callback_at <= now) or _called_back(lead) is not None:
        return QueueBucket.CALLBACK_DUE
    if lead.first_call_at is None and lead.sla_state in AWAITING_FIRST_CALL:
        if lead.sla_state in RUNNING and (lead.sla_breach_at is None or lead.sla_breach_at > now):
            return QueueBucket.IN_TIME
        return QueueBucket.LATE
    return QueueBucket.FOLLOW_UP


def queue_due(lead, bucket):
    """The time a lead is ordered by inside its bucket."""
    if bucket == QueueBucket.CALLBACK_DUE:
        return _called_back(lead) or lead.callback_at
    if bucket == QueueBucket.IN_TIME:
        return lead.sla_breach_at if lead.sla_breach_at is not None else lead.received_at
    if bucket == QueueBucket.LATE:
        return lead.received_at
    return next(t for t in (lead.callback_at, lead.last_activity_at, lead.received_at) if t is not None)


def _called_back(lead):
    return getattr(lead, "client_called_back_at", None)  # the simulation's work items have no such field


def queue_sort_key(lead, now):
    """Sort key, most urgent first: (bucket, due, received, pk), as the selectors' ORDER BY."""
    bucket = queue_bucket(lead, now)
    return (int(bucket), queue_due(lead, bucket), lead.received_at, lead.pk)


# --- the same rule in SQL --------------------------------------------------------------------------


def _bucket_case(now, then, output_field):
    """CASE over the four buckets' conditions (in `queue_bucket`'s order), `then[bucket]` per branch."""
    awaiting = Q(first_call_at__isnull=True, sla_state__in=AWAITING_FIRST_CALL)
    in_time = Q(first_call_at__isnull=True, sla_state__in=RUNNING) & (
        Q(sla_breach_at__isnull=True) | Q(sla_breach_at__gt=now)
    )
    return Case(
        When(Q(callback_at__lte=now) | Q(client_called_back_at__isnull=False), then=then[QueueBucket.CALLBACK_DUE]),
        When(in_time, then=then[QueueBucket.IN_TIME]),
        When(awaiting, then=then[QueueBucket.LATE]),
        default=then[QueueBucket.FOLLOW_UP],
        output_field=output_field,
    )


def bucket_expression(now):
    return _bucket_case(now, {bucket: Value(int(bucket)) for bucket in QueueBucket}, models.IntegerField())


def due_expression(now):
    """The in-bucket order time (see `queue_due`), from the same conditions, not from the bucket
    annotation: referring to it would inline the bucket's CASE once per branch."""
    then = {
        QueueBucket.CALLBACK_DUE: Coalesce(F("client_called_back_at"), F("callback_at")),
        QueueBucket.IN_TIME: Coalesce(F("sla_breach_at"), F("received_at")),
        QueueBucket.LATE: F("received_at"),
        QueueBucket.FOLLOW_UP: Coalesce(F("callback_at"), F("last_activity_at"), F("received_at")),
    }
    return _bucket_case(now, then, DateTimeField())


ORDERING = ("queue_bucket", "due_at", "received_at", "pk")
