"""The call review pages (issue 16 §4): who may open each, what they show, the Russian validation that
keeps what was typed, and a constant number of queries on the lists."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from qualification.models import CallReview
from qualification.services import call_review_save, review_sample_draw

from . import reviews_data

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 4)


@pytest.fixture
def data():
    return reviews_data.build()


@pytest.fixture
def drawn(data):
    review_sample_draw(team=data["team"], week=WEEK)
    return data


def client_of(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(user)
    return client


def review_of(data, name="anna"):
    return CallReview.objects.filter(qualifier=data["people"][name], reason="sample").order_by("pk").first()


def all_done(review):
    return {f"step_{step.pk}": "done" for step in review.script.steps.all()}


def reviewed(data, name="anna", comment="Хорошо"):
    review = review_of(data, name)
    marks = {step.pk: "done" for step in review.script.steps.all()}
    return call_review_save(review_id=review.pk, actor=data["people"]["olga"], marks=marks, comment=comment)


# --- who may open what ----------------------------------------------------------------------------

# role → expected status of (list, done list, one review, draw, my reviews)
MATRIX = {
    "olga": (200, 200, 200, 302, 200),
    "director": (200, 200, 200, 302, 200),
    "admin": (200, 200, 200, 302, 200),
    "other_lead": (200, 200, 403, 302, 200),
    "anna": (403, 403, 403, 403, 200),
    "rep": (403, 403, 403, 403, 403),
    "manager": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_every_review_url_by_role(drawn, who):
    client = client_of(drawn["people"][who])
    review = review_of(drawn)
    got = (
        client.get(reverse("qualification:reviews")).status_code,
        client.get(reverse("qualification:reviews-done")).status_code,
        client.get(reverse("qualification:review", args=[review.pk])).status_code,
        client.post(reverse("qualification:review-draw"), {"team": drawn["team"].pk, "week": "2026-03-09"}).status_code,
        client.get(reverse("qualification:my-reviews")).status_code,
    )
    assert got == MATRIX[who]
    post = client.post(reverse("qualification:review", args=[review.pk]), all_done(review))
    assert post.status_code == (302 if who in ("olga", "director", "admin") else 403)


def test_another_teams_lead_sees_none_of_the_teams_reviews_and_cannot_draw_them(drawn):
    client = client_of(drawn["people"]["other_lead"])
    response = client.get(reverse("qualification:reviews"))
    assert response.context["page_obj"].paginator.count == 0
    assert "Нет звонков, ожидающих разбора" in response.content.decode()
    before = CallReview.objects.count()
    response = client.post(reverse("qualification:review-draw"), {"team": drawn["team"].pk, "week": "2026-03-04"})
    assert CallReview.objects.count() == before


def test_acknowledge_only_ones_own_review(drawn):
    review = reviewed(drawn)
    url = reverse("qualification:review-acknowledge", args=[review.pk])
    assert client_of(drawn["people"]["boris"]).post(url).status_code == 403
    assert client_of(drawn["people"]["rep"]).post(url).status_code == 403
    assert client_of(drawn["people"]["olga"]).post(url).status_code == 403
    review.refresh_from_db()
    assert review.acknowledged_at is None
    response = client_of(drawn["people"]["anna"]).post(url)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.acknowledged_at is not None


# --- what the pages show --------------------------------------------------------------------------


def test_the_draw_button_draws_and_a_second_press_adds_nothing(data):
    client = client_of(data["people"]["olga"])
    url = reverse("qualification:review-draw")
    response = client.post(url, {"team": data["team"].pk, "week": "2026-03-04"}, follow=True)
    assert "Звонков отобрано для разбора: 6" in response.content.decode()
    response = client.post(url, {"team": data["team"].pk, "week": "2026-03-02"}, follow=True)
    assert "выборка уже полная" in response.content.decode()
    assert CallReview.objects.count() == 6
    response = client.post(url, {"team": data["team"].pk, "week": ""}, follow=True)
    assert "Выберите день недели" in response.content.decode()


def test_review_form_shows_the_recording_and_the_steps_and_saves(drawn):
    review = review_of(drawn)
    client = client_of(drawn["people"]["olga"])
    url = reverse("qualification:review", args=[review.pk])
    page = client.get(url).content.decode()
    recording_url = reverse("qualification:recording", args=[review.attempt.recording.pk])
    assert f'<audio controls preload="none" class="w-100 mt-1" data-testid="recording" src="{recording_url}"' in page
    assert "Приветствие" in page and "Запись на замер" in page
    assert client.get(recording_url).status_code == 200  # the lead may listen to the call
    marks = all_done(review)
    steps = list(review.script.steps.order_by("position"))
    marks[f"step_{steps[1].pk}"] = "partly"
    marks[f"step_{steps[2].pk}"] = "missed"
    response = client.post(url, {**marks, "comment": "Не спросила бюджет."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert float(review.score) == 0.625 and review.comment == "Не спросила бюджет."
    done = client.get(reverse("qualification:reviews-done")).content.decode()
    assert "63%" in done and "ещё нет" in done


def test_an_unticked_step_is_refused_in_russian_and_what_was_typed_stays(drawn):
    review = review_of(drawn)
    client = client_of(drawn["people"]["olga"])
    marks = all_done(review)
    first = next(iter(marks))
    marks.pop(first)
    response = client.post(
        reverse("qualification:review", args=[review.pk]), {**marks, "comment": "Черновик комментария"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Отметьте этот шаг: выполнен, частично или пропущен." in page
    assert "Черновик комментария" in page
    assert page.count("checked") == len(marks)
    review.refresh_from_db()
    assert review.reviewed_at is None


def test_my_reviews_show_own_reviews_only_and_the_lead_sees_the_acknowledgement(drawn):
    reviewed(drawn, "anna", comment="Анне: отлично")
    reviewed(drawn, "boris", comment="Борису: хорошо")
    anna = client_of(drawn["people"]["anna"]).get(reverse("qualification:my-reviews")).content.decode()
    assert "Анне: отлично" in anna and "Борису" not in anna and "100%" in anna
    assert 'data-testid="menu-my-reviews"' in anna
    review = review_of(drawn, "anna")
    client_of(drawn["people"]["anna"]).post(reverse("qualification:review-acknowledge", args=[review.pk]))
    done = client_of(drawn["people"]["olga"]).get(reverse("qualification:reviews-done")).content.decode()
    assert done.count('data-testid="acknowledged"') == 1 and done.count('data-testid="not-acknowledged"') == 1


def test_empty_states(data):
    page = client_of(data["people"]["olga"]).get(reverse("qualification:reviews")).content.decode()
    assert 'data-testid="reviews-empty"' in page
    page = client_of(data["people"]["anna"]).get(reverse("qualification:my-reviews")).content.decode()
    assert "Ваши звонки ещё не разбирали." in page


def test_the_lists_paginate(drawn, settings):
    from qualification.views import reviews as views

    views.PAGE_SIZE, old = 2, views.PAGE_SIZE
    try:
        response = client_of(drawn["people"]["olga"]).get(reverse("qualification:reviews"), {"page": 3})
    finally:
        views.PAGE_SIZE = old
    assert response.context["page_obj"].number == 3 and len(response.context["page_obj"].object_list) == 2


# --- queries --------------------------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries, n):
    client.get(url)  # warm the session and the per-request caches
    with django_assert_max_num_queries(n):
        assert client.get(url).status_code == 200


def test_list_pages_run_a_constant_number_of_queries(drawn, django_assert_num_queries):
    olga, anna = client_of(drawn["people"]["olga"]), client_of(drawn["people"]["anna"])
    counts = {}
    for name in ("anna", "boris"):
        reviewed(drawn, name)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for key, client, url in (
        ("pending", olga, reverse("qualification:reviews")),
        ("done", olga, reverse("qualification:reviews-done")),
        ("mine", anna, reverse("qualification:my-reviews")),
    ):
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts[key] = len(ctx)
    # more rows: the same number of queries
    for review in CallReview.objects.filter(reviewed_at__isnull=True, qualifier=drawn["people"]["anna"]):
        call_review_save(
            review_id=review.pk,
            actor=drawn["people"]["olga"],
            marks={step.pk: "partly" for step in review.script.steps.all()},
        )
    for key, client, url in (
        ("pending", olga, reverse("qualification:reviews")),
        ("done", olga, reverse("qualification:reviews-done")),
        ("mine", anna, reverse("qualification:my-reviews")),
    ):
        with django_assert_num_queries(counts[key]):
            client.get(url)
