"""A qualifier's hand-offs and their outcomes, the team's load, reasons by code."""

from django.db.models import Count, DateTimeField, Min, OuterRef, Q, Subquery

from leadflow import hotcache
from leadflow.compiled import compiled_query
from leadflow.models import Lead, LeadStatus, Reason

from .queue import _count_of, team_qualifiers

# --- my hand-offs --------------------------------------------------------------------------------


def handoffs_by(*, user):
    """Leads the user qualified and that were handed off (by them, or by the team lead with the manual
    strategy), with where they are now: the feedback loop."""
    return (
        Lead.objects.filter(qualified_by_id=user.pk, handed_off_by__isnull=False)
        .select_related("source", "sales_rep", "lose_reason")
        .order_by("-handed_off_at", "-pk")
    )


def handoff_outcome_counts(*, user):
    return Lead.objects.filter(qualified_by_id=user.pk, handed_off_by__isnull=False).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=LeadStatus.HANDED_OFF, handoff_state="pending")),
        accepted=Count("pk", filter=Q(status=LeadStatus.HANDED_OFF, handoff_state="accepted")),
        disputed=Count("pk", filter=Q(handoff_state="disputed")),
        returned=Count("pk", filter=Q(status__in=[LeadStatus.QUALIFYING, LeadStatus.QUALIFIED])),
        measured=Count("pk", filter=Q(status=LeadStatus.MEASURED)),
        won=Count("pk", filter=Q(status=LeadStatus.WON)),
        lost=Count("pk", filter=Q(status=LeadStatus.LOST)),
    )


def team_load(*, team_id):
    """Per qualifier of the team: leads held now and since when the oldest is held (one query).

    Scalar subqueries over (qualifier, status) — the index lead_qualifier_idx — so only the leads held now
    are read, not every lead a qualifier ever had (a JOIN + FILTER read ~1M rows at 1M leads: 1 s)."""
    held = Lead.objects.filter(qualifier_id=OuterRef("pk"), status=LeadStatus.QUALIFYING).order_by()
    oldest = held.values("qualifier_id").annotate(oldest=Min("claimed_at")).values("oldest")
    return team_qualifiers(team_id=team_id).annotate(
        held=_count_of(Lead.objects.filter(status=LeadStatus.QUALIFYING), "qualifier_id"),
        oldest_claim=Subquery(oldest, output_field=DateTimeField()),
    )


def team_load_rows(*, team_id):
    """`team_load` as a list, its SQL compiled once per connection (leadflow.compiled)."""
    return compiled_query("team-load", lambda team: team_load(team_id=team), team_id)


def reason_id(*, kind, code):
    return Reason.objects.filter(kind=kind, code=code).values_list("pk", flat=True).first()


def reason_id_cached(*, kind, code):
    """`reason_id` kept a few seconds per process (the card's "unreachable" button)."""
    return hotcache.get_or_load(("reason-id", kind, code), lambda: reason_id(kind=kind, code=code))
