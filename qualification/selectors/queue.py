"""The queue: its rows in queue order, "Next lead"'s pick and due callbacks, the header counts, the team strip."""

from datetime import UTC, datetime

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadflow import access, roles
from leadflow.compiled import compiled_query
from leadflow.models import Lead, LeadStatus

from .. import queue_order
from ..models import (
    CallAttempt,
)

QUEUE_STATUSES = (LeadStatus.NEW, LeadStatus.QUALIFYING, LeadStatus.QUALIFIED)


def _with_urgency(qs, now=None):
    """Annotate `queue_bucket` and `due_at` and order most urgent first (qualification/queue_order.py).

    Only the lead's own columns: "Next lead" locks the first row with FOR UPDATE SKIP LOCKED."""
    now = now or timezone.now()  # the app's clock (not the database's), so it is the same everywhere
    return qs.annotate(
        queue_bucket=queue_order.bucket_expression(now), due_at=queue_order.due_expression(now)
    ).order_by(*queue_order.ORDERING)


def queue_for_user(*, user, team_id=None):
    """The queue a person sees: a qualifier the team's unclaimed leads plus their own; the team lead
    (and a director) the whole team, who holds what included."""
    team_id = team_id or access.team_id_of(user)
    qs = Lead.objects.filter(
        qualification_team_id=team_id, status__in=QUEUE_STATUSES, is_archived=False, merged_into__isnull=True
    )
    if not access.is_queue_manager(user):
        qs = qs.filter(Q(status=LeadStatus.NEW, qualifier__isnull=True) | Q(qualifier_id=user.pk)).exclude(
            status=LeadStatus.QUALIFIED
        )
    # Call attempts by a correlated subquery, not a JOIN + GROUP BY: PostgreSQL then counts them only
    # for the page's rows (after ORDER BY … LIMIT), and the paginator's count() is a plain index count.
    qs = qs.select_related("source", "qualifier").annotate(attempts=_count_of(CallAttempt.objects, "lead_id"))
    return _with_urgency(qs)


def _count_of(queryset, fk):
    """COUNT(*) of `queryset` rows whose `fk` is the outer row's pk, as a scalar subquery (0 when none)."""
    counted = queryset.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def claimable_leads(*, team_id, now=None):
    """Unclaimed leads of the team, most urgent first (no joins: safe for FOR UPDATE SKIP LOCKED)."""
    qs = Lead.objects.filter(
        qualification_team_id=team_id,
        status=LeadStatus.NEW,
        qualifier__isnull=True,
        is_archived=False,
        merged_into__isnull=True,
    )
    return _with_urgency(qs, now)


_NOW = datetime(2000, 1, 1, tzinfo=UTC)  # stands for the time of the call in a compiled statement
_STATEMENTS = {}  # (name, database alias, key) → (sql, params), see `_run_compiled`


def _run_compiled(name, key, build):
    """The leads of queryset `build()` (built with `_NOW` for the time), its SQL compiled once per process
    and `key`, run with the current time. For "Next lead", where compiling the queue order's CASE
    expressions cost ~2 ms of CPU per press, more than all the rest of the claim (docs/performance.md)."""
    cache_key = (name, connection.alias, key)
    if cache_key not in _STATEMENTS:
        _STATEMENTS[cache_key] = build().query.sql_with_params()
    sql, params = _STATEMENTS[cache_key]
    stand_in, now = (connection.ops.adapt_datetimefield_value(t) for t in (_NOW, timezone.now()))
    return Lead.objects.raw(sql, [now if value == stand_in else value for value in params])


def next_lead_locked(*, user, team_id):
    """What "Next lead" gives `user` (PostgreSQL, inside the caller's transaction): the callback they
    promised that is due now (earliest first; already theirs), else the team's most urgent claimable lead
    with its row locked by `FOR UPDATE SKIP LOCKED`; None when there is neither.

    One statement: `id = COALESCE((the due callback), (the pick))` around the row. PostgreSQL runs the
    pick, and takes its lock, only when there is no due callback. Only the narrow pick is sorted
    (sorting the pool's whole rows cost 3× more). The outer read shares the statement's snapshot: a
    column another transaction changed just before may be older than the locked row (the pick itself is
    re-checked on the newest version); the claim writes only its own columns.
    """

    def build():
        callback = due_callbacks(user_id=user.pk, now=_NOW).values("pk")[:1]
        pick = (
            claimable_leads(team_id=team_id, now=_NOW)
            .select_for_update(skip_locked=True, of=("self",))
            .values("pk")[:1]
        )
        return Lead.objects.filter(pk=Coalesce(Subquery(callback), Subquery(pick))).order_by()

    return next(iter(_run_compiled("next_lead_locked", (user.pk, team_id), build)), None)


def due_callback_for(*, user):
    """The lead whose callback `user` promised is due now (the earliest), or None."""
    return due_callbacks(user_id=user.pk).first()


def due_callbacks(*, user_id, now=None):
    """The callbacks `user_id` promised that are due at `now`, earliest first (already theirs: no claim)."""
    return Lead.objects.filter(
        qualifier_id=user_id, status=LeadStatus.QUALIFYING, callback_at__lte=now or timezone.now()
    ).order_by("callback_at", "pk")


QUEUE_COUNTS = ("unclaimed", "mine", "warned", "breached", "awaiting_rep")


def queue_counts(*, user, team_id=None):
    """Header figures for the queue page in one aggregate query, its SQL compiled once (leadflow.compiled):
    grouped by the team, which the filter fixes, so it is one row (none when the team has no lead in
    the queue: zeros)."""
    team_id = team_id or access.team_id_of(user)
    rows = compiled_query("queue-counts", _queue_counts_of, team_id, user.pk)
    return dict(zip(QUEUE_COUNTS, rows[0] if rows else (0,) * len(QUEUE_COUNTS), strict=True))


def _queue_counts_of(team_id, user_id):
    return (
        Lead.objects.filter(
            qualification_team_id=team_id, status__in=QUEUE_STATUSES, is_archived=False, merged_into__isnull=True
        )
        .order_by()
        .values("qualification_team_id")
        .annotate(
            unclaimed=Count("pk", filter=Q(status=LeadStatus.NEW, qualifier__isnull=True)),
            mine=Count("pk", filter=Q(status=LeadStatus.QUALIFYING, qualifier_id=user_id)),
            warned=Count("pk", filter=Q(status=LeadStatus.NEW, sla_state="warned")),
            breached=Count("pk", filter=Q(status=LeadStatus.NEW, sla_state="breached")),
            awaiting_rep=Count("pk", filter=Q(status=LeadStatus.QUALIFIED)),
        )
        .values_list(*QUEUE_COUNTS)
    )


def team_qualifiers(*, team_id):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True, profile__team_id=team_id, groups__name__in=[roles.QUALIFIER, roles.QUALIFICATION_LEAD]
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
