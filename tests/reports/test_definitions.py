"""One name and one definition per figure: tooltips from the registry, both bases side by side and the
hand-off reconciliation (made − upheld = net) on the funnel and the hand-off quality page."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from leadflow.models import LeadStatus
from reports import selectors
from reports.definitions import COHORT, EVENT, FIGURES
from tests.factories import LeadFactory

from . import dataset

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}
RECONCILIATION = "Передано 7 − оспорено и возвращено 2 = 5 чистыми"


def test_every_figure_has_a_name_a_definition_and_a_basis():
    for figure in FIGURES.values():
        assert str(figure.name) and str(figure.definition) and figure.basis in {COHORT, EVENT}


def test_reconciliation_by_hand(data, march, everyone):
    # hand-offs made in March still standing: L1, L2, L3, L4, L10 = 5; upheld in March: L9 (q2), L10 (q1) = 2
    result = selectors.handoff_quality(report_filter=march, scope=everyone)
    assert result["reconciliation"] == {"made": 7, "upheld": 2, "net": 5}


@pytest.mark.parametrize("page", ["funnel", "handoff"])
def test_both_pages_show_the_reconciliation(client, data, page):
    client.force_login(data["people"]["director"])
    body = client.get(reverse(f"reports:{page}"), MARCH).content.decode()
    assert RECONCILIATION in re.sub(r"<[^>]+>", "", body)  # each number is a link to its leads


@pytest.fixture
def late_win(data):
    """A lead received in February and won on 5 March for 200 000: March's revenue by deal date has it,
    March's cohort revenue does not."""
    LeadFactory(
        received_at=dataset.at(2, 20, 10), status=LeadStatus.WON, sales_rep=data["people"]["r1"],
        closed_at=dataset.at(3, 5, 10), deal_amount=Decimal("200000"),
    )  # fmt: skip
    return data


@pytest.mark.parametrize("page", ["funnel", "sales"])
def test_revenue_on_both_bases_side_by_side(client, late_win, page):
    client.force_login(late_win["people"]["director"])
    html = client.get(reverse(f"reports:{page}"), MARCH).content.decode().replace("\xa0", " ")
    # cohort: L1 360 000 + L2 240 000 + L10 500 000; by deal date: the same + 200 000 received in February
    assert "Выручка (по месяцу поступления лида)" in html and "Выручка (по дате сделки)" in html
    assert "1 100 000 ₽" in html and "1 300 000 ₽" in html


def test_column_headers_carry_the_definition(client, data):
    client.force_login(data["people"]["director"])
    html = client.get(reverse("reports:handoff"), MARCH).content.decode()
    assert 'title="Передачи, сделанные в периоде, по дате передачи' in html
    assert "Выиграно (из передач периода)" in html
