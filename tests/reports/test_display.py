"""Figures on the page are rounded, not cut off: Django's number_format truncates a float's digits
(5/9 read «55,5 %», 7.38 % read «7,3 %»), which under-reports every share a little."""

import pytest
from django.utils import translation

from reports.tables import display, duration


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (5 / 9, "pct", "55,6 %"),
        (0.0738, "pct", "7,4 %"),
        (0.1225, "pct", "12,3 %"),  # half up, as a person rounds
        (0.5, "pct", "50,0 %"),
        (2.99999, "num", "3,00"),
        (1.005, "num", "1,01"),
        (0.073849, "p", "0,0738"),
        (0.07385, "p", "0,0739"),
    ],
)
def test_shares_and_numbers_are_rounded_half_up(value, kind, shown):
    with translation.override("ru"):
        assert display(value, kind) == shown


def test_minutes_are_rounded_too():
    with translation.override("ru"):
        assert duration(3.96) == "4,0 мин"
        assert duration(3.94) == "3,9 мин"


def test_a_lead_number_is_not_grouped_like_a_count():
    with translation.override("ru"):
        assert display(1011, "id") == "1011"
        assert display(1011, "int") == "1\xa0011"
