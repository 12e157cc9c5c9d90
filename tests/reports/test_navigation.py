"""The chosen period stays across tabs (links and session), durations read as hours and days,
the team breakdown names each team."""

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}


def test_tab_links_carry_the_period(client, data):
    client.force_login(data["people"]["director"])
    page = client.get(reverse("reports:funnel"), {**MARCH, "group_by": "qualifier"}).content.decode()
    assert 'href="/reports/speed/?preset=custom&amp;start=2025-03-01&amp;end=2025-03-31"' in page
    assert "group_by" not in page.split('href="/reports/speed/')[1].split('"')[0]  # each page has its own splits


def test_a_tab_opened_without_a_period_uses_the_last_one_chosen(client, data):
    client.force_login(data["people"]["director"])
    client.get(reverse("reports:funnel"), MARCH)
    response = client.get(reverse("reports:speed"))
    assert (str(response.context["period_first"]), str(response.context["period_last"])) == (
        "2025-03-01",
        "2025-03-31",
    )
    assert response.context["total"]["leads"] == 10


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(None, "—"), (3.5, "3,5 мин"), (252, "4 ч 12 мин"), (60, "1 ч 0 мин"), (4440, "3 дн 2 ч"), (6042.7, "4 дн 5 ч")],
)
def test_durations_read_as_hours_and_days(minutes, shown):
    with translation.override("ru"):
        assert Template("{% load reports_tags %}{{ value|duration }}").render(Context({"value": minutes})) == shown


def test_stage_times_on_the_funnel_read_as_hours(client, data):
    client.force_login(data["people"]["director"])
    page = client.get(reverse("reports:funnel"), MARCH).content.decode()
    assert " ч " in page and "дн" in page


def test_team_breakdown_names_every_team(client, data):
    """Rows are named by the team (a lead always has a qualification team), never by its id."""
    client.force_login(data["people"]["director"])
    response = client.get(reverse("reports:speed"), {**MARCH, "group_by": "team"})
    assert [row["label"] for row in response.context["tables"][0].rows] == ["Квалификация"]
