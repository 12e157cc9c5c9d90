"""A call review in the browser (issue 16 §6): the qualification lead opens a pending review, the
recording loads in the player, she ticks every step, sees the score, saves; the qualifier finds it
under "Мои разборы звонков" and acknowledges it; the lead sees it acknowledged. On a 1440 px laptop
and on a 390 px phone."""

from datetime import date

import pytest

from qualification.models import CallReview
from qualification.services import review_sample_draw

from . import reviews_data


def _as(page, username):
    page.context.clear_cookies()
    page.login(username)


def _review_one(page, *, marks, score, prefix):
    page.goto(f"{page.base_url}/queue/reviews/")
    page.save_screenshot(f"{prefix}_pending")
    rows = page.locator("[data-testid=review-row]", has_text="Анна").filter(has_text="случайная выборка")
    rows.first.locator("[data-testid=open-review]").click()
    page.wait_for_selector("[data-testid=review-form]")
    player = page.locator("audio[data-testid=recording]")
    assert player.count() == 1
    # the browser fetches the recording through our permission-checked URL and knows its length
    player.evaluate("audio => audio.load()")
    page.wait_for_function("() => document.querySelector('audio[data-testid=recording]').readyState >= 1")
    assert player.evaluate("audio => Math.round(audio.duration)") == 2
    steps = page.locator("[data-testid=review-step]")
    assert steps.count() == len(marks)
    page.click("[data-testid=save-review]")  # nothing ticked: refused in Russian
    page.wait_for_selector("[data-testid=step-error]")
    refusal = page.locator("[data-testid=step-error]").first.inner_text()
    assert refusal == "Отметьте этот шаг: выполнен, частично или пропущен."
    for index, mark in enumerate(marks):
        steps.nth(index).locator(f"label[for$='_{['done', 'partly', 'missed'].index(mark)}']").click()
    page.fill("textarea[name=comment]", "Бюджет не спросила — разберём на тренинге.")
    assert page.inner_text("[data-testid=review-score]") == score  # computed as the steps are ticked
    page.save_screenshot(f"{prefix}_form")
    page.click("[data-testid=save-review]")
    page.wait_for_url("**/queue/reviews/")
    assert "Разбор сохранён." in page.inner_text("body")


def _acknowledge(page, *, prefix, phone=False):
    page.goto(f"{page.base_url}/queue/")
    if phone:
        page.click("[data-testid=menu-button]")
    page.click("[data-testid=menu-my-reviews]")
    page.wait_for_url("**/queue/reviews/mine/")
    card = page.locator("[data-testid=my-review]").first
    assert "Бюджет не спросила" in card.inner_text()
    page.save_screenshot(f"{prefix}_mine")
    card.locator("[data-testid=acknowledge]").click()
    page.wait_for_selector("[data-testid=my-review] [data-testid=acknowledged]")
    assert page.locator("[data-testid=my-review] [data-testid=acknowledged]").count() >= 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_review_journey_on_a_laptop_and_a_phone(page):
    page.context.set_default_timeout(30_000)  # six test runs share two cores
    data = reviews_data.build()
    review_sample_draw(team=data["team"], week=date(2026, 3, 2))
    anna = data["people"]["anna"]

    _as(page, "olga")
    _review_one(page, marks=["done", "partly", "missed", "done"], score="63%", prefix="review_laptop")
    _as(page, "anna")
    _acknowledge(page, prefix="review_laptop")
    assert CallReview.objects.filter(qualifier=anna, acknowledged_at__isnull=False).count() == 1

    page.set_viewport_size({"width": 390, "height": 844})
    _as(page, "olga")
    _review_one(page, marks=["done", "done", "done", "partly"], score="88%", prefix="review_phone")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    _as(page, "anna")
    _acknowledge(page, prefix="review_phone", phone=True)
    assert CallReview.objects.filter(qualifier=anna, acknowledged_at__isnull=False).count() == 2

    _as(page, "olga")
    page.goto(f"{page.base_url}/queue/reviews/done/")
    assert page.locator("[data-testid=review-row] [data-testid=acknowledged]").count() == 2
    page.save_screenshot("review_phone_done")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{page.base_url}/reports/reviews/?preset=custom&start=2026-02-23&end=2026-03-08")
    assert "Оценка разборов" in page.inner_text("body")
    page.save_screenshot("review_report_laptop")
