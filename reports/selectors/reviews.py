"""Call quality reviews (issue 16 §4): the team lead's scores per qualifier and per script step, by
the week the call was drawn for. A review counts once it is made; the period is the call's date.

Steps are matched across script versions by their code (a new version that keeps "budget" keeps its
row); the score is done = 1, partly = ½, missed = 0 averaged over the marks
(qualification.services.reviews.review_score, one review's figure).
"""

from django.db.models import Avg, Count, Max, Q

from qualification.models import CallReview, ReviewMark

from .common import ratio, users_by_id


def reviewed_calls(*, report_filter, scope):
    reviews = CallReview.objects.filter(
        report_filter.period.q("called_at", "attempt__"),
        scope.leads("attempt__lead__"),
        report_filter.lead_q("attempt__lead__", person_fields=()),
        scope.people_q("qualifier__"),
        reviewed_at__isnull=False,
    )
    if report_filter.person_id:
        reviews = reviews.filter(qualifier_id=report_filter.person_id)
    return reviews


def _step_counts(prefix=""):
    Mark = ReviewMark.Mark
    return {
        "marked": Count("pk"),
        "done": Count("pk", filter=Q(mark=Mark.DONE)),
        "partly": Count("pk", filter=Q(mark=Mark.PARTLY)),
        "missed": Count("pk", filter=Q(mark=Mark.MISSED)),
    }


def _step_score(row):
    return ratio(row["done"] + 0.5 * row["partly"], row["marked"])


def call_review_scores(*, report_filter, scope):
    """Per qualifier (reviews, average score, acknowledged, from disputes), per qualifier and week, per
    step and per step and week, the total: six queries (the sixth names the qualifiers)."""
    reviews = reviewed_calls(report_filter=report_filter, scope=scope)
    people = list(
        reviews.values("qualifier_id")
        .annotate(
            reviews=Count("pk"),
            score=Avg("score"),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            from_disputes=Count("pk", filter=Q(reason=CallReview.Reason.DISPUTE)),
        )
        .order_by()
    )
    weekly = list(
        reviews.values("week", "qualifier_id").annotate(reviews=Count("pk"), score=Avg("score")).order_by("week")
    )
    marks = ReviewMark.objects.filter(review__in=reviews)
    steps = list(
        marks.values("step__code")
        .annotate(title=Max("step__title"), position=Max("step__position"), **_step_counts())
        .order_by()
    )
    step_weeks = list(marks.values("review__week", "step__code").annotate(**_step_counts()).order_by("review__week"))
    names = users_by_id({row["qualifier_id"] for row in people})
    for row in people:
        row["label"] = names.get(row["qualifier_id"], "—")
        row["score"] = None if row["score"] is None else float(row["score"])
        row["acknowledged_share"] = ratio(row["acknowledged"], row["reviews"])
    people.sort(key=lambda row: row["label"])
    for row in weekly:
        row["label"] = names.get(row["qualifier_id"], "—")
        row["score"] = None if row["score"] is None else float(row["score"])
    for row in steps:
        row["score"] = _step_score(row)
    steps.sort(key=lambda row: (row["position"] or 0, row["step__code"]))
    for row in step_weeks:
        row["score"] = _step_score(row)
    total = reviews.aggregate(
        reviews=Count("pk"), score=Avg("score"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False))
    )
    total["score"] = None if total["score"] is None else float(total["score"])
    total["acknowledged_share"] = ratio(total["acknowledged"], total["reviews"])
    return {"people": people, "weekly": weekly, "steps": steps, "step_weeks": step_weeks, "total": total}
