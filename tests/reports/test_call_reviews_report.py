"""The call review report (issue 16 §4): scores per qualifier and per script step by week, beside the
same qualifier's hand-off quality and SLA, on a data set computed by hand; who may see it; export.

Data (tests/qualification/reviews_data.py, week of 2 March 2026): anna's sample calls scored 1, 0.625
and 0, her upheld dispute's hand-off call 0.5 → 4 reviews, 0.53125; boris's two calls 1 and 1. anna's
five leads were called 5 minutes after arrival (within the warning), boris's two after 30 minutes.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from leadflow.models import Lead
from qualification.models import CallReview
from qualification.services import call_review_acknowledge, call_review_save, review_sample_draw
from reports import selectors
from reports.access import report_scope
from reports.selectors.common import Period, ReportFilter
from reports.tables import export_value
from tests.qualification import reviews_data

pytestmark = pytest.mark.django_db

PERIOD = {"preset": "custom", "start": "2026-02-23", "end": "2026-03-08"}


def _score(review, marks, actor):
    steps = list(review.script.steps.order_by("position"))
    return call_review_save(
        review_id=review.pk, actor=actor, marks={s.pk: m for s, m in zip(steps, marks, strict=True)}
    )


@pytest.fixture
def data():
    data = reviews_data.build()
    people = data["people"]
    review_sample_draw(team=data["team"], week=date(2026, 3, 2))
    olga = people["olga"]
    anna = list(CallReview.objects.filter(qualifier=people["anna"], reason="sample").order_by("attempt_id"))
    _score(anna[0], ["done"] * 4, olga)
    _score(anna[1], ["done", "partly", "missed", "done"], olga)
    _score(anna[2], ["missed"] * 4, olga)
    _score(CallReview.objects.get(reason="dispute"), ["partly"] * 4, olga)
    for review in CallReview.objects.filter(qualifier=people["boris"]):
        _score(review, ["done"] * 4, olga)
    call_review_acknowledge(review_id=anna[0].pk, actor=people["anna"])
    for name, minutes in (("anna", 5), ("boris", 30)):
        for lead in Lead.objects.filter(pk__in=[call.lead_id for call in data["calls"][name]]):
            Lead.objects.filter(pk=lead.pk).update(
                claimed_at=lead.received_at + timedelta(minutes=1),
                first_call_at=lead.received_at + timedelta(minutes=minutes),
                first_called_by=people[name],
                sla_warn_at=lead.received_at + timedelta(minutes=15),
                sla_breach_at=lead.received_at + timedelta(minutes=20),
            )
    return data


def client_of(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(user)
    return client


def page(data, who="olga", **extra):
    return client_of(data["people"][who]).get(reverse("reports:reviews"), {**PERIOD, **extra})


def test_scores_per_qualifier_beside_handoff_quality_and_sla(data):
    response = page(data)
    assert response.status_code == 200
    people, by_week, steps, steps_by_week = response.context["tables"]
    rows = {row["label"]: row for row in people.rows}
    anna, boris = rows["Анна Иванова"], rows["Борис Петров"]
    assert (anna["reviews"], anna["score"], anna["from_disputes"]) == (4, 0.53125, 1)
    assert anna["acknowledged_share"] == 0.25
    assert (boris["reviews"], boris["score"], boris["acknowledged_share"]) == (2, 1.0, 0.0)
    assert anna["upheld"] == 1  # her hand-off, disputed and upheld, from the hand-off quality selector
    assert (anna["warn_share"], anna["within_warn"], boris["warn_share"]) == (1.0, 5, 0.0)
    assert people.footer["reviews"] == 6 and people.footer["score"] == pytest.approx((2.125 + 2) / 6)
    # the weekly trend: one week, one score column per qualifier
    assert [row["label"] for row in by_week.rows] == ["02.03.2026"]
    assert sorted(v for k, v in by_week.rows[0].items() if k.startswith("c")) == [0.53125, 1.0]
    # per step: greeting done by anna 1, 0.625→done, 0→missed, 0.5→partly; boris done twice
    greeting = next(row for row in steps.rows if row["step__code"] == "greeting")
    assert (greeting["marked"], greeting["done"], greeting["partly"], greeting["missed"]) == (6, 4, 1, 1)
    assert greeting["score"] == 0.75
    budget = next(row for row in steps.rows if row["step__code"] == "budget")
    assert (budget["done"], budget["partly"], budget["missed"], budget["score"]) == (3, 1, 2, 3.5 / 6)
    assert [row["label"] for row in steps.rows] == [s["title"] for s in reviews_data.STEPS]  # the script's order
    assert steps_by_week.rows[0]["cgreeting"] == 0.75
    assert [column.key for column in steps_by_week.columns[1:]] == [f"c{s['code']}" for s in reviews_data.STEPS]
    html = response.content.decode()
    assert "53,1" in html and "Оценка разборов" in html


def test_the_period_and_person_filters(data):
    later = page(data, start="2026-03-09", end="2026-03-15")
    assert later.context["tables"][0].rows == []
    anna_only = page(data, person=str(data["people"]["anna"].pk))
    assert [row["label"] for row in anna_only.context["tables"][0].rows] == ["Анна Иванова"]


def test_the_selector_runs_six_queries(data, django_assert_num_queries):
    report_filter = ReportFilter(period=Period(*_bounds()))
    scope = report_scope(data["people"]["olga"])
    with django_assert_num_queries(6):  # per qualifier, by week, per step, step by week, total, names
        result = selectors.call_review_scores(report_filter=report_filter, scope=scope)
    assert len(result["people"]) == 2


def _bounds():
    from datetime import datetime

    from django.utils import timezone

    start = timezone.make_aware(datetime(2026, 2, 23))
    return start, start + timedelta(days=14)


@pytest.mark.parametrize(
    ("who", "status", "rows"),
    [
        ("olga", 200, 2),
        ("director", 200, 2),
        ("admin", 200, 2),
        ("other_lead", 200, 0),
        ("manager", 200, None),
        ("anna", 403, None),
        ("rep", 403, None),
    ],
)
def test_who_sees_the_report(data, who, status, rows):
    response = page(data, who)
    assert response.status_code == status
    if rows is not None:
        assert len(response.context["tables"][0].rows) == rows


def test_export_csv_and_xlsx_like_every_table(data):
    client = client_of(data["people"]["olga"])
    response = client.get(reverse("reports:reviews"), {**PERIOD, "export": "csv", "table": "qualifiers"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="reviews-qualifiers.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    by_name = {row[0]: row for row in rows[1:]}
    assert rows[0][:3] == ["Квалификатор", "Разобрано звонков", "Оценка разборов"]
    assert by_name["Анна Иванова"][1:3] == ["4", str(export_value(0.53125, "pct"))]  # the exports' rounding
    assert rows[-1][1] == "6"  # the total row
    response = client.get(reverse("reports:reviews"), {**PERIOD, "export": "xlsx", "table": "steps"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    anna = client_of(data["people"]["anna"])
    assert anna.get(reverse("reports:reviews"), {**PERIOD, "export": "csv", "table": "qualifiers"}).status_code == 403


def test_the_reports_navigation_has_the_tab(data):
    html = page(data, "director").content.decode()
    assert f'href="{reverse("reports:reviews")}' in html and "Разборы звонков" in html
