"""Call quality reviews for the demo (issue 16 §4): the last four weeks' samples drawn by the real
service, most of them reviewed by the qualification lead, some acknowledged by the qualifier.

The demo's calls have no audio, so the calls that the sample may draw get a one-second silent WAV
through Django's storage (a few KB each): the review page's player then plays something. Idempotent:
recordings only where missing, the draw adds nothing already drawn, only new reviews are scored.
"""

import io
import random
import wave
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from leadflow import roles
from leadflow.models import Team
from qualification.models import CallAttempt, CallRecording, CallReview, ReviewMark
from qualification.services import call_review_acknowledge, call_review_save, review_sample_draw
from qualification.services.reviews import week_bounds, week_start

WEEKS = 4
CALLS_PER_QUALIFIER_WEEK = 6  # recordings given per qualifier and week (the sample draws 3 of them)
MARKS = [ReviewMark.Mark.DONE] * 6 + [ReviewMark.Mark.PARTLY] * 3 + [ReviewMark.Mark.MISSED] * 2


def silent_wav(seconds=1, rate=8000):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(rate)
        audio.writeframes(b"\x80" * rate * seconds)
    return buffer.getvalue()


def seed_call_reviews(*, seed=2024, log=None):
    log = log or (lambda message: None)
    rng = random.Random(seed)
    this_week = week_start(timezone.localdate())
    audio = silent_wav()
    made = 0
    for team in Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True):
        lead_person = team.lead or _team_lead(team)
        for back in range(WEEKS, -1, -1):
            monday = this_week - timedelta(days=7 * back)
            _give_recordings(team, monday, audio)
            for review in review_sample_draw(team=team, week=monday):
                if back == 0 or lead_person is None or rng.random() < 0.15:
                    continue  # this week's, and a few older ones, wait for the lead
                steps = list(review.script.steps.all())
                marks = {step.pk: rng.choice(MARKS) for step in steps}
                call_review_save(review_id=review.pk, actor=lead_person, marks=marks, comment=_comment(rng, marks))
                made += 1
                if rng.random() < 0.6:
                    call_review_acknowledge(review_id=review.pk, actor=review.qualifier)
    log(f"  call reviews: {made} made, {CallReview.objects.filter(reviewed_at__isnull=True).count()} waiting")
    return made


def _team_lead(team):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(profile__team=team, groups__name=roles.QUALIFICATION_LEAD, is_active=True)
        .order_by("pk")
        .first()
    )


def _give_recordings(team, monday, audio):
    start, end = week_bounds(monday)
    calls = (
        CallAttempt.objects.filter(
            lead__qualification_team=team,
            outcome=CallAttempt.Outcome.REACHED,
            called_at__gte=start,
            called_at__lt=end,
            actor__groups__name=roles.QUALIFIER,
        )
        .order_by("actor_id", "pk")
        .values_list("pk", "actor_id", "duration_seconds", "recording__pk")
    )
    per_person = {}
    for pk, actor_id, duration, recording_pk in calls:
        per_person[actor_id] = per_person.get(actor_id, 0) + 1
        if recording_pk is not None or per_person[actor_id] > CALLS_PER_QUALIFIER_WEEK:
            continue
        recording = CallRecording(
            attempt_id=pk, content_type="audio/wav", size_bytes=len(audio), duration_seconds=duration or 60
        )
        recording.file.save("demo.wav", ContentFile(audio), save=True)


COMMENTS = {
    ReviewMark.Mark.MISSED: "Пропущен шаг — повторим на тренинге в понедельник.",
    ReviewMark.Mark.PARTLY: "В целом хорошо, но часть шагов пройдена вскользь.",
    ReviewMark.Mark.DONE: "Отличный звонок: все шаги скрипта на месте.",
}


def _comment(rng, marks):
    worst = (
        ReviewMark.Mark.MISSED
        if ReviewMark.Mark.MISSED in marks.values()
        else ReviewMark.Mark.PARTLY
        if ReviewMark.Mark.PARTLY in marks.values()
        else ReviewMark.Mark.DONE
    )
    return COMMENTS[worst]
