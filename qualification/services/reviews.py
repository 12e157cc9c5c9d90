"""Call quality reviews against the versioned script (issue 16 §4).

- `call_script_publish`: a new version of a team's script with its steps; older versions stay as they
  were, so a review keeps the steps it was made against;
- `review_sample_draw`: the week's calls to review for a team, per qualifier N answered calls with a
  recording drawn at random (seeded by team, week and qualifier: the same draw every time) plus every
  call behind an upheld dispute; running it again adds nothing that is already drawn;
- `call_review_save` / `call_review_acknowledge`: the team lead's verdict, the qualifier's "read it".
"""

import random
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access, roles
from leadflow.models import Notification, Team
from leadflow.services import notification_send

from .. import review_sources
from ..exceptions import ReviewRefused
from ..models import CallAttempt, CallReview, CallScript, ReviewMark, ReviewPolicy, ScriptStep

# --- scripts -----------------------------------------------------------------------------------------


def call_script_publish(*, team, stage=CallScript.Stage.FIRST_CALL, title, text, steps, actor=None):
    """Publish a new version of the team's script for `stage` (steps: [{code, title, hint}]) and make it
    the active one; the previous versions are deactivated, never changed."""
    if not steps:
        raise ReviewRefused(_("A script needs at least one step to review calls against."))
    codes = [step["code"] for step in steps]
    if len(set(codes)) != len(codes):
        raise ReviewRefused(_("Each step of a script needs its own code."))
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)  # two publishers never take one number
        top = CallScript.objects.filter(team=locked, stage=stage).aggregate(v=Max("version"))["v"] or 0
        CallScript.objects.filter(team=locked, stage=stage, is_active=True).update(is_active=False)
        script = CallScript.objects.create(
            team=locked, stage=stage, version=top + 1, title=title, text=text, is_active=True, published_by=actor
        )
        ScriptStep.objects.bulk_create(
            ScriptStep(
                script=script,
                code=step["code"],
                title=step["title"],
                hint=step.get("hint", "") or "",
                position=position,
            )
            for position, step in enumerate(steps)
        )
    return script


# --- the weekly sample -------------------------------------------------------------------------------


def week_start(day):
    """The Monday of the week of `day` (a date)."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday):
    """[Monday 00:00, next Monday 00:00) in the current time zone (Moscow by default)."""
    start = timezone.make_aware(datetime.combine(monday, time()))
    return start, timezone.make_aware(datetime.combine(monday + timedelta(days=7), time()))


def calls_per_qualifier(team):
    policy = ReviewPolicy.objects.filter(team=team).first()
    return policy.calls_per_qualifier if policy else ReviewPolicy.DEFAULT_CALLS_PER_WEEK


def reviewable_calls(*, team, start, end):
    """Answered calls of the team's qualifiers in [start, end) whose recording can be played."""
    return CallAttempt.objects.filter(
        lead__qualification_team=team,
        outcome=CallAttempt.Outcome.REACHED,
        called_at__gte=start,
        called_at__lt=end,
        actor__groups__name=roles.QUALIFIER,
        recording__isnull=False,
        recording__removed_at__isnull=True,
    ).exclude(recording__file="")


def _seeded_pick(ids, *, team_id, monday, qualifier_id, count):
    """`count` of `ids` at random, the same ones for the same team, week and qualifier (a string seed
    is hashed by SHA-512 in random.seed, independent of PYTHONHASHSEED)."""
    ordered = sorted(ids)
    random.Random(f"call-review:{team_id}:{monday.isoformat()}:{qualifier_id}").shuffle(ordered)
    return ordered[:count]


def review_sample_draw(*, team, week, actor=None):
    """Draw the calls of `week` (its Monday) to review in `team`; returns the reviews created now.
    `actor` None: the weekly beat task; a person must be allowed to review the team's calls."""
    if actor is not None:
        access.ensure_may_review(team_id=team.pk, actor=actor)
    monday = week_start(week)
    start, end = week_bounds(monday)
    script = CallScript.objects.filter(team=team, stage=CallScript.Stage.FIRST_CALL, is_active=True).first()
    if script is None:
        return []
    wanted = calls_per_qualifier(team)
    created = []
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)  # one draw per team at a time: no duplicates
        by_qualifier = {}
        for attempt_id, qualifier_id in reviewable_calls(team=team, start=start, end=end).values_list("pk", "actor_id"):
            by_qualifier.setdefault(qualifier_id, set()).add(attempt_id)
        must = review_sources.must_review_attempt_ids(team_id=team.pk, start=start, end=end)
        candidates = must.union(*by_qualifier.values())
        reviewed = set(CallReview.objects.filter(attempt_id__in=candidates).values_list("attempt_id", flat=True))
        already = {}
        for qualifier_id in CallReview.objects.filter(
            team=team, week=monday, reason=CallReview.Reason.SAMPLE
        ).values_list("qualifier_id", flat=True):
            already[qualifier_id] = already.get(qualifier_id, 0) + 1
        picks = []
        for qualifier_id, ids in sorted(by_qualifier.items()):
            missing = wanted - already.get(qualifier_id, 0)
            if missing <= 0:
                continue
            chosen = _seeded_pick(
                ids - reviewed, team_id=team.pk, monday=monday, qualifier_id=qualifier_id, count=missing
            )
            picks += [(attempt_id, qualifier_id, CallReview.Reason.SAMPLE) for attempt_id in chosen]
        must -= reviewed
        chosen_ids = {attempt_id for attempt_id, *_rest in picks}
        for attempt_id, qualifier_id in CallAttempt.objects.filter(
            pk__in=must - chosen_ids, actor__isnull=False
        ).values_list("pk", "actor_id"):
            picks.append((attempt_id, qualifier_id, CallReview.Reason.DISPUTE))
        for attempt_id, qualifier_id, reason in picks:
            created.append(
                CallReview.objects.create(
                    attempt_id=attempt_id,
                    qualifier_id=qualifier_id,
                    team=team,
                    week=monday,
                    reason=reason,
                    script=script,
                )
            )
    return created


def review_samples_draw_all(*, week):
    """The weekly beat: every active qualification team's sample for `week`."""
    total = 0
    for team in Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True):
        total += len(review_sample_draw(team=team, week=week))
    return total


# --- the verdict -------------------------------------------------------------------------------------


def review_score(marks):
    """done = 1, partly = ½, missed = 0, averaged over the steps: a share 0…1 (None without steps)."""
    marks = list(marks)
    if not marks:
        return None
    points = sum(ReviewMark.POINTS[ReviewMark.Mark(mark)] for mark in marks)
    return (points / len(marks)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def call_review_save(*, review_id, actor, marks, comment=""):
    """The team lead's verdict: `marks` {step id: done|partly|missed} for every step of the review's
    script version, a comment; the score follows from the marks. Editable until acknowledged."""
    with transaction.atomic():
        review = CallReview.objects.select_for_update().get(pk=review_id)
        access.ensure_may_review(team_id=review.team_id, actor=actor)
        if review.acknowledged_at is not None:
            raise ReviewRefused(_("The qualifier has already acknowledged this review; it can no longer be changed."))
        step_ids = set(ScriptStep.objects.filter(script_id=review.script_id).values_list("pk", flat=True))
        marks = {int(step_id): mark for step_id, mark in marks.items()}
        if set(marks) != step_ids:
            raise ReviewRefused(_("Mark every step of the script."))
        first_time = review.reviewed_at is None
        ReviewMark.objects.filter(review=review).delete()
        ReviewMark.objects.bulk_create(
            ReviewMark(review=review, step_id=step_id, mark=mark) for step_id, mark in sorted(marks.items())
        )
        review.score = review_score(marks.values())
        review.comment = comment
        review.reviewer = actor
        review.reviewed_at = timezone.now()
        review.save(update_fields=["score", "comment", "reviewer", "reviewed_at"])
        if first_time:
            notification_send(
                recipient=review.qualifier,
                kind=Notification.Kind.INFO,
                text=_("Your call was reviewed: %(score)s%%.") % {"score": review.score_percent},
                url=reverse("qualification:my-reviews"),
                dedupe_key=f"call-review:{review.pk}",
            )
    return review


def call_review_acknowledge(*, review_id, actor):
    """The qualifier has read the review (once; acknowledging again changes nothing)."""
    with transaction.atomic():
        review = CallReview.objects.select_for_update().get(pk=review_id)
        access.ensure_own_review(review=review, actor=actor)
        if review.reviewed_at is None:
            raise ReviewRefused(_("This call has not been reviewed yet."))
        if review.acknowledged_at is None:
            review.acknowledged_at = timezone.now()
            review.save(update_fields=["acknowledged_at"])
    return review
