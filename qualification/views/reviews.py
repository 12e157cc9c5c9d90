"""Call quality reviews: the qualification lead's list and form, the qualifier's own reviews."""

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow import access
from leadflow.middleware import refusal_returns_to

from .. import selectors, services
from ..exceptions import PermissionRefused
from ..forms import CallReviewForm, ReviewDrawForm
from ..services.reviews import week_start
from .workspace import queue_access

PAGE_SIZE = 25


def reviewer_access(view):
    """The qualification lead and the director (a superuser too); everyone else gets the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.may_review_calls(request.user):
            raise PermissionRefused(_("Call reviews are for the qualification lead."))
        return view(request, *args, **kwargs)

    return wrapper


def _last_monday():
    today = timezone.localdate()
    return week_start(today) - timedelta(days=7)


def _list(request, *, done):
    user = request.user
    page = Paginator(selectors.reviews_for_reviewer(user=user, done=done), PAGE_SIZE).get_page(request.GET.get("page"))
    teams = selectors.review_teams(user=user)
    draw_form = ReviewDrawForm(teams=teams, initial={"team": teams.first(), "week": _last_monday()})
    return render(
        request,
        "qualification/reviews.html",
        {
            "page_title": _("Call reviews"),
            "page_obj": page,
            "done": done,
            "counts": selectors.review_counts(user=user),
            "draw_form": draw_form,
        },
    )


@reviewer_access
def reviews(request):
    """The calls waiting for the team lead's review."""
    return _list(request, done=False)


@reviewer_access
def reviews_done(request):
    """The reviews made, with whether the qualifier has acknowledged each."""
    return _list(request, done=True)


@reviewer_access
@require_POST
@refusal_returns_to("qualification:reviews")
def review_draw(request):
    form = ReviewDrawForm(request.POST, teams=selectors.review_teams(user=request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("qualification:reviews")
    created = services.review_sample_draw(
        team=form.cleaned_data["team"], week=form.cleaned_data["week"], actor=request.user
    )
    if created:
        messages.success(request, _("Calls drawn for review: %(n)s.") % {"n": len(created)})
    else:
        messages.info(request, _("Nothing new to draw for that week: the sample is already complete."))
    return redirect("qualification:reviews")


@reviewer_access
@refusal_returns_to("qualification:reviews")
def review(request, pk):
    """Listen to the call, tick each step of the script version, comment; the score follows."""
    item = selectors.review_detail(review_id=pk)
    if item is None:
        raise Http404
    access.ensure_may_review(team_id=item.team_id, actor=request.user)
    steps = list(item.script.steps.all()) if item.script else []
    marks = {mark.step_id: mark.mark for mark in item.marks.all()}
    initial = {"comment": item.comment, **{f"step_{step_id}": mark for step_id, mark in marks.items()}}
    form = CallReviewForm(request.POST or None, steps=steps, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.call_review_save(
            review_id=item.pk, actor=request.user, marks=form.marks(), comment=form.cleaned_data["comment"]
        )
        messages.success(request, _("Review saved."))
        return redirect("qualification:reviews")
    return render(
        request,
        "qualification/review.html",
        {"page_title": _("Call review"), "review": item, "form": form, "lead": item.attempt.lead},
    )


@queue_access
def my_reviews(request):
    """The qualifier's reviewed calls: the steps as ticked, the score, the comment, "Ознакомлен"."""
    page = Paginator(selectors.reviews_of_qualifier(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "qualification/my_reviews.html", {"page_title": _("My call reviews"), "page_obj": page})


@queue_access
@require_POST
@refusal_returns_to("qualification:my-reviews")
def review_acknowledge(request, pk):
    services.call_review_acknowledge(review_id=pk, actor=request.user)
    messages.success(request, _("Marked as read."))
    return redirect("qualification:my-reviews")
