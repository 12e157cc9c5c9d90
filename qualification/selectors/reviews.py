"""Call quality reviews: the reviewer's list, counts, one review, a qualifier's own."""

from django.db.models import Count, F, Q

from leadflow import access

# --- call quality reviews ------------------------------------------------------------------------


def _reviews():
    from ..models import CallReview

    return CallReview.objects.select_related(
        "attempt__lead", "attempt__recording", "qualifier", "reviewer", "script", "team"
    )


def reviews_for_reviewer(*, user, done=False):
    """The team's reviews for the qualification lead (the director: every team), pending or done."""
    teams = access.review_team_ids(user)
    reviews = _reviews() if teams is None else _reviews().filter(team_id__in=teams)
    if done:
        return reviews.filter(reviewed_at__isnull=False).order_by("-reviewed_at", "-pk")
    return reviews.filter(reviewed_at__isnull=True).order_by("-week", "reason", "qualifier__last_name", "pk")


def review_counts(*, user):
    teams = access.review_team_ids(user)
    from ..models import CallReview

    reviews = CallReview.objects.all() if teams is None else CallReview.objects.filter(team_id__in=teams)
    return reviews.aggregate(
        pending=Count("pk", filter=Q(reviewed_at__isnull=True)),
        done=Count("pk", filter=Q(reviewed_at__isnull=False)),
        unacknowledged=Count("pk", filter=Q(reviewed_at__isnull=False, acknowledged_at__isnull=True)),
    )


def review_detail(*, review_id):
    """One review with its script version's steps and its marks (three queries)."""
    from django.db.models import Prefetch

    from ..models import ScriptStep

    return (
        _reviews()
        .prefetch_related(Prefetch("script__steps", queryset=ScriptStep.objects.order_by("position", "pk")), "marks")
        .filter(pk=review_id)
        .first()
    )


def reviews_of_qualifier(*, user):
    """The qualifier's own reviewed calls, the unacknowledged first."""
    from django.db.models import Prefetch

    from ..models import ReviewMark

    return (
        _reviews()
        .filter(qualifier=user, reviewed_at__isnull=False)
        .prefetch_related(
            Prefetch("marks", queryset=ReviewMark.objects.select_related("step").order_by("step__position"))
        )
        .order_by(F("acknowledged_at").desc(nulls_first=True), "-reviewed_at", "-pk")
    )


def review_teams(*, user):
    """The qualification teams whose calls `user` may draw and review."""
    from leadflow.models import Team

    teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("name")
    scope = access.review_team_ids(user)
    return teams if scope is None else teams.filter(pk__in=scope)


def sales_team_for(lead):
    """The sales team a lead of its qualification team goes to: the first matching hand-off route
    (qualification.models.HandoffRoute), else the team's own sales team (None when it has none)."""
    from leadflow.models import Team

    from ..models import HandoffRoute

    routes = HandoffRoute.objects.filter(team_id=lead.qualification_team_id, is_active=True).select_related(
        "sales_team"
    )
    for route in routes.order_by("position", "pk"):
        if route.matches(lead):
            return route.sales_team
    return Team.objects.select_related("sales_team").get(pk=lead.qualification_team_id).sales_team
