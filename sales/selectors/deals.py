"""A deal's page, closed deals, the arbitration queue, a qualifier's outcomes."""

from django.db.models import Prefetch, Q
from django_fsm_log.models import StateLog

from leadflow.models import Lead, LeadStatus
from qualification.models import LeadAnswer

from ..models import Dispute, Visit
from .board import _deal_queryset, of_rep


def closed_deals(*, rep=None):
    """Won and lost deals of any month, for the searchable list (filtered by sales.filters)."""
    qs = Lead.objects.select_related("sales_rep", "lose_reason", "handed_off_by").filter(
        sales_rep__isnull=False, status__in=[LeadStatus.WON, LeadStatus.LOST]
    )
    return of_rep(qs, rep).order_by("-closed_at")


def deal_detail(*, lead_id):
    """One deal with all its qualification answers, visits, disputes and history."""
    lead = (
        _deal_queryset()
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=LeadAnswer.objects.select_related("criterion").order_by("criterion__position"),
                to_attr="all_answers",
            ),
            Prefetch(
                "disputes",
                queryset=Dispute.objects.select_related("reason", "raised_by", "decided_by"),
                to_attr="all_disputes",
            ),
            Prefetch(
                "visits", queryset=Visit.objects.select_related("rep").order_by("-starts_at"), to_attr="visit_log"
            ),
        )
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        return None, []
    history = list(StateLog.objects.for_(lead).select_related("by").order_by("-timestamp", "-pk"))
    return lead, history


def arbitration_queue(*, qualification_team_ids=None, sales_team_id=None):
    """Pending disputes first (oldest first), then the last decisions; only the disputes on leads of
    `qualification_team_ids` when given (a qualification lead sees their own team's), and on deals of
    the reps of `sales_team_id` when given (a sales manager sees their own team's)."""
    base = Dispute.objects.select_related(
        "lead", "reason", "raised_by", "qualifier", "sales_rep", "decided_by", "counts_against_user"
    ).prefetch_related(Prefetch("lead__answers", queryset=LeadAnswer.objects.select_related("criterion")))
    if qualification_team_ids is not None:
        base = base.filter(lead__qualification_team_id__in=qualification_team_ids)
    if sales_team_id is not None:
        base = base.filter(sales_rep__profile__team_id=sales_team_id)
    pending = list(base.filter(decision=Dispute.Decision.PENDING).order_by("raised_at"))
    decided = list(base.exclude(decision=Dispute.Decision.PENDING).order_by("-decided_at")[:30])
    return pending, decided


def qualifier_outcomes(*, qualifier):
    """What became of the leads a qualifier handed off: status, rep, visit, quote, deal, disputes."""
    disputed_ids = Dispute.objects.filter(qualifier=qualifier).values("lead_id")
    return (
        Lead.objects.filter(Q(qualified_by=qualifier, handed_off_by__isnull=False) | Q(pk__in=disputed_ids))
        .select_related("sales_rep", "lose_reason", "measurement")
        .prefetch_related(
            Prefetch("disputes", queryset=Dispute.objects.select_related("reason"), to_attr="all_disputes"),
            Prefetch("visits", queryset=Visit.objects.order_by("-starts_at"), to_attr="all_visits"),
        )
        .order_by("-handed_off_at", "-pk")
    )
