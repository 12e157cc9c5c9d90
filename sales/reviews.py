"""The calls behind upheld disputes, for the qualification lead's call reviews (registered in apps.py).

A dispute upheld in a week puts the hand-off call of its lead (the last answered call before the
dispute was raised) into that week's review sample, recording or not: the argument is settled by
listening, and the training starts from it.
"""

from django.db.models import OuterRef, Subquery

from qualification.models import CallAttempt

from .models import Dispute


def upheld_dispute_handoff_calls(*, team_id, start, end):
    handoff_call = (
        CallAttempt.objects.filter(
            lead_id=OuterRef("lead_id"),
            outcome=CallAttempt.Outcome.REACHED,
            actor__isnull=False,
            called_at__lte=OuterRef("raised_at"),
        )
        .order_by("-called_at", "-pk")
        .values("pk")[:1]
    )
    disputes = Dispute.objects.filter(
        decision=Dispute.Decision.UPHELD,
        decided_at__gte=start,
        decided_at__lt=end,
        lead__qualification_team_id=team_id,
    )
    return {pk for pk in disputes.annotate(call_id=Subquery(handoff_call)).values_list("call_id", flat=True) if pk}


def register():
    from qualification import review_sources

    review_sources.register("upheld_disputes", upheld_dispute_handoff_calls)
