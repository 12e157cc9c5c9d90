"""Pilot comparison compares like with like: a cohort younger than the closing time is marked immature
and both periods are counted at the same age; the export keeps shares at four decimals."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from leadflow.models import LeadStatus
from reports.selectors import ReportFilter, pilot_comparison
from tests.factories import LeadFactory

from . import dataset
from .conftest import FEBRUARY, MARCH, MSK

pytestmark = pytest.mark.django_db

COMPARE = {"a_start": "2025-02-01", "a_end": "2025-02-28", "b_start": "2025-03-01", "b_end": "2025-03-31"}
END_OF_MARCH = datetime(2025, 3, 31, 12, 0, tzinfo=MSK)


@pytest.fixture
def late_february_win(data):
    """Received 10.02, won 27.03 (45 days later) for 100 000: February at full age has it, February at
    March's age on 31 March (30 days 12 hours) does not."""
    return LeadFactory(
        received_at=dataset.at(2, 10, 12), status=LeadStatus.WON, qualified_at=dataset.at(2, 10, 13),
        closed_at=dataset.at(3, 27, 12), deal_amount=Decimal("100000"),
    )  # fmt: skip


def _compare(now):
    return pilot_comparison(
        period_a=FEBRUARY, period_b=MARCH, report_filter=ReportFilter(period=MARCH), scope=dataset_scope(), now=now
    )


def dataset_scope():
    from reports.selectors import Scope

    return Scope()


def test_a_young_cohort_is_immature_and_both_are_compared_at_its_age(late_february_win):
    result = _compare(END_OF_MARCH)
    assert result["maturity"]["b_immature"] is True
    assert result["maturity"]["horizon"] == timedelta(days=30, hours=12)  # 01.03 00:00 → 31.03 12:00
    # the late win came 45 days after receipt: beyond the horizon, so February has no win at March's age
    assert (result["a"]["won"], result["a"]["revenue"]) == (0, 0)
    # qualified an hour after receipt: within the horizon; F2 too → 2 of 3 February leads
    assert result["a"]["qualified_rate"] == pytest.approx(2 / 3)


def test_mature_cohorts_are_compared_at_full_age(late_february_win):
    result = _compare(datetime(2025, 8, 1, 12, 0, tzinfo=MSK))
    assert result["maturity"] == {"a_immature": False, "b_immature": False, "horizon": None, "days": 90}
    assert (result["a"]["won"], result["a"]["revenue"]) == (1, Decimal("100000"))


def test_the_page_marks_the_immature_cohort(client, data):
    client.force_login(data["people"]["director"])
    with time_machine.travel(END_OF_MARCH, tick=False):
        client.force_login(data["people"]["director"])
        html = client.get(reverse("reports:pilot"), COMPARE).content.decode()
    assert "незрелая когорта" in html
    assert "в пределах 30 дн" in html


def test_the_export_keeps_shares_at_four_decimals(client, data):
    LeadFactory(received_at=dataset.at(3, 25, 10))  # March: 5 qualified of 11 = 0.4545…
    client.force_login(data["people"]["director"])
    response = client.get(reverse("reports:pilot"), {**COMPARE, "export": "csv", "table": "comparison"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    qualified = next(row for row in rows if row[0] == "Получен → квалифицирован")
    assert qualified[1:4] == ["0.5", "0.4545", "-0.0455"]
