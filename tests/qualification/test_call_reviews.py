"""Call quality reviews against the script (issue 16 §4): versioned scripts, the weekly sample, the
team lead's verdict and its score, the qualifier's acknowledgement; who may open which page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from leadflow.exceptions import PermissionRefused
from leadflow.models import Notification
from qualification.exceptions import ReviewRefused
from qualification.models import CallReview, CallScript, ReviewMark, ReviewPolicy
from qualification.reference import default_script_steps, script_steps_from_text
from qualification.selectors import call_script
from qualification.services import (
    call_review_acknowledge,
    call_review_save,
    call_script_publish,
    review_sample_draw,
    review_score,
)
from qualification.tasks import call_review_samples_draw

from . import reviews_data

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 4)  # any day of the week names it


@pytest.fixture
def data():
    return reviews_data.build()


def sampled(team, reason=CallReview.Reason.SAMPLE):
    return sorted(CallReview.objects.filter(team=team, reason=reason).values_list("attempt_id", flat=True))


def marks_for(review, *values):
    steps = list(review.script.steps.order_by("position"))
    return {step.pk: value for step, value in zip(steps, values, strict=True)}


# --- scripts as versioned data --------------------------------------------------------------------


def test_publishing_a_new_version_keeps_the_old_one_and_its_reviews(data):
    team, old = data["team"], data["script"]
    [review, *_rest] = review_sample_draw(team=team, week=WEEK)
    assert review.script == old
    call_review_save(
        review_id=review.pk, actor=data["people"]["olga"], marks=marks_for(review, "done", "done", "partly", "missed")
    )
    new = call_script_publish(
        team=team, title="Первый звонок", text="новый", steps=[{"code": "greeting", "title": "Привет"}], actor=None
    )
    old.refresh_from_db()
    assert (new.version, old.version) == (old.version + 1, old.version)
    assert new.is_active and not old.is_active
    assert call_script(team_id=team.pk) == new  # the card shows the new version
    review.refresh_from_db()
    assert review.script == old and [s.code for s in old.steps.all()] == [s["code"] for s in reviews_data.STEPS]
    assert review.marks.count() == 4 and review.score == Decimal("0.6250")


def test_a_script_needs_distinct_steps(data):
    with pytest.raises(ReviewRefused):
        call_script_publish(team=data["team"], title="x", text="x", steps=[], actor=None)
    with pytest.raises(ReviewRefused):
        steps = [{"code": "a", "title": "A"}, {"code": "a", "title": "B"}]
        call_script_publish(team=data["team"], title="x", text="x", steps=steps, actor=None)


def test_steps_are_parsed_from_a_numbered_script_else_defaulted():
    text = "1. Привет: «Здравствуйте»\n2. Нужда: что нужно?\n3) Бюджет: сколько?\nВозражения: …"
    assert script_steps_from_text(text) == [
        {"code": "step-1", "title": "Привет", "hint": "«Здравствуйте»"},
        {"code": "step-2", "title": "Нужда", "hint": "что нужно?"},
        {"code": "step-3", "title": "Бюджет", "hint": "сколько?"},
    ]
    assert script_steps_from_text("Просто поговорите с клиентом.") == default_script_steps()
    codes = [step["code"] for step in default_script_steps()]
    assert codes == ["greeting", "product_type", "need", "budget", "timeline", "measurement", "closing"]


def test_the_seeded_kitchen_script_is_version_1_with_the_seven_steps():
    from django.apps import apps

    from qualification.reference import ensure_kitchen_checklist
    from tests.factories import qualification_team

    team = qualification_team()
    ensure_kitchen_checklist(apps.get_model)
    script = CallScript.objects.get(team=team, stage="first_call")
    assert script.version == 1
    assert [s.code for s in script.steps.all()][:2] == ["greeting", "product_type"] and script.steps.count() == 7


# --- the weekly sample ----------------------------------------------------------------------------


def test_sample_draws_n_answered_recorded_calls_per_qualifier_plus_the_upheld_dispute(data):
    team = data["team"]
    created = review_sample_draw(team=team, week=WEEK)
    anna_calls = {call.pk for call in data["calls"]["anna"]}
    boris_calls = {call.pk for call in data["calls"]["boris"]}
    by_anna = [r.attempt_id for r in created if r.qualifier == data["people"]["anna"] and r.reason == "sample"]
    by_boris = [r.attempt_id for r in created if r.qualifier == data["people"]["boris"]]
    assert len(by_anna) == ReviewPolicy.DEFAULT_CALLS_PER_WEEK and set(by_anna) <= anna_calls
    assert set(by_boris) == boris_calls  # fewer calls than the number: all of them
    assert sampled(team, "dispute") == [data["handoff_call"].pk]  # no recording, still reviewed
    drawn = {r.attempt_id for r in created}
    assert data["no_recording"].pk not in drawn and data["unanswered"].pk not in drawn
    assert {r.week for r in created} == {date(2026, 3, 2)}


def test_sample_is_reproducible_and_never_duplicated(data):
    team = data["team"]
    first = sampled(team)
    review_sample_draw(team=team, week=WEEK)
    first = sampled(team)
    assert review_sample_draw(team=team, week=WEEK + timedelta(days=2)) == []  # same week: nothing new
    assert sampled(team) == first and CallReview.objects.count() == len(first) + 1
    CallReview.objects.all().delete()
    review_sample_draw(team=team, week=WEEK)
    assert sampled(team) == first  # seeded by team, week and qualifier: the same calls again


def test_sample_respects_the_team_number_and_tops_up(data):
    team = data["team"]
    ReviewPolicy.objects.create(team=team, calls_per_qualifier=1)
    review_sample_draw(team=team, week=WEEK)
    assert CallReview.objects.filter(qualifier=data["people"]["anna"], reason="sample").count() == 1
    assert CallReview.objects.filter(qualifier=data["people"]["boris"], reason="sample").count() == 1
    ReviewPolicy.objects.filter(team=team).update(calls_per_qualifier=4)
    review_sample_draw(team=team, week=WEEK)
    assert CallReview.objects.filter(qualifier=data["people"]["anna"], reason="sample").count() == 4
    assert CallReview.objects.filter(qualifier=data["people"]["boris"], reason="sample").count() == 2


def test_other_weeks_and_other_teams_draw_nothing_of_this_week(data):
    assert review_sample_draw(team=data["team"], week=WEEK + timedelta(days=7)) == []
    assert review_sample_draw(team=data["other"], week=WEEK) == []


def test_the_weekly_task_draws_last_weeks_sample(data):
    with time_machine.travel(reviews_data.MONDAY + timedelta(days=7, hours=6), tick=False):
        assert call_review_samples_draw.delay().get() == 6  # 3 of anna + 2 of boris + the dispute
        assert call_review_samples_draw.delay().get() == 0


def test_only_the_teams_lead_or_the_director_draws(data):
    people = data["people"]
    for name in ("anna", "other_lead", "rep", "manager"):
        with pytest.raises(PermissionRefused):
            review_sample_draw(team=data["team"], week=WEEK, actor=people[name])
    assert review_sample_draw(team=data["team"], week=WEEK, actor=people["olga"])
    assert review_sample_draw(team=data["team"], week=WEEK, actor=people["director"]) == []


# --- the verdict and the acknowledgement ----------------------------------------------------------


@pytest.mark.parametrize(
    ("marks", "score"),
    [
        (["done", "done", "done", "done"], Decimal("1")),
        (["missed", "missed", "missed", "missed"], Decimal("0")),
        (["done", "partly", "missed", "done"], Decimal("0.625")),
        (["partly", "partly", "partly"], Decimal("0.5")),
        (["done", "done", "missed"], Decimal("0.6667")),
    ],
)
def test_score_is_the_average_of_done_one_partly_half_missed_zero(marks, score):
    assert review_score(marks) == score


def test_review_saved_scored_and_acknowledged(data):
    people = data["people"]
    review = next(r for r in review_sample_draw(team=data["team"], week=WEEK) if r.qualifier == people["anna"])
    with pytest.raises(ReviewRefused):  # a step left unticked
        three = dict(list(marks_for(review, *["done"] * 4).items())[:3])
        call_review_save(review_id=review.pk, actor=people["olga"], marks=three)
    with pytest.raises(PermissionRefused):  # another team's lead
        call_review_save(review_id=review.pk, actor=people["other_lead"], marks=marks_for(review, *["done"] * 4))
    with pytest.raises(ReviewRefused):  # not reviewed yet
        call_review_acknowledge(review_id=review.pk, actor=people["anna"])
    saved = call_review_save(
        review_id=review.pk,
        actor=people["olga"],
        marks=marks_for(review, "done", "partly", "missed", "done"),
        comment="Не спросила бюджет.",
    )
    assert (saved.score, saved.reviewer, saved.comment) == (Decimal("0.6250"), people["olga"], "Не спросила бюджет.")
    assert Notification.objects.filter(recipient=people["anna"], url=reverse("qualification:my-reviews")).count() == 1
    with pytest.raises(PermissionRefused):  # only the qualifier whose call it was
        call_review_acknowledge(review_id=review.pk, actor=people["boris"])
    acknowledged = call_review_acknowledge(review_id=review.pk, actor=people["anna"])
    first = acknowledged.acknowledged_at
    assert first is not None
    assert call_review_acknowledge(review_id=review.pk, actor=people["anna"]).acknowledged_at == first
    with pytest.raises(ReviewRefused):  # acknowledged: the verdict is final
        call_review_save(review_id=review.pk, actor=people["olga"], marks=marks_for(review, *["done"] * 4))
    assert ReviewMark.objects.filter(review=review, mark="missed").count() == 1


def test_saving_a_script_in_the_admin_publishes_a_new_version(data):
    from django.test import Client

    old = data["script"]
    steps = list(old.steps.order_by("position"))
    client = Client()
    client.force_login(data["people"]["admin"])
    form = {
        "team": data["team"].pk,
        "stage": "first_call",
        "title": "Первый звонок",
        "text": "Новый текст",
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": len(steps),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
    }
    for index, step in enumerate(steps):
        form.update(
            {
                f"steps-{index}-id": step.pk,
                f"steps-{index}-script": old.pk,
                f"steps-{index}-position": step.position,
                f"steps-{index}-code": step.code,
                f"steps-{index}-title": "Здороваемся" if step.code == "greeting" else step.title,
                f"steps-{index}-hint": step.hint,
            }
        )
    form["steps-3-DELETE"] = "on"  # the measurement step dropped from the new version
    response = client.post(reverse("admin:qualification_callscript_change", args=[old.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    new = CallScript.objects.get(team=data["team"], stage="first_call", is_active=True)
    old.refresh_from_db()
    assert new.version == old.version + 1 and new.text == "Новый текст" and old.text == "…"
    assert [s.title for s in new.steps.all()] == ["Здороваемся", "Своя или модульная", "Бюджет"]
    assert [s.title for s in old.steps.all()] == [s["title"] for s in reviews_data.STEPS]  # untouched
    assert new.published_by == data["people"]["admin"]
