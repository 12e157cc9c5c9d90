"""The disqualification page: how many leads were dropped, by reason, by qualifier, by source, and the
modular share, on both bases (date of disqualification and cohort of the month received)."""

import csv
import io

import pytest
from django.urls import reverse

from leadflow import roles
from leadflow.models import LeadStatus, Reason
from reports import selectors
from tests.factories import LeadFactory, make_user, reason

from . import dataset

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}


@pytest.fixture
def dropped(data):
    """On top of the data set (L5 q1 modular, L6 q2 modular avito, both March; F1 February):
    X received 27.02, disqualified 02.03 by q2 for the budget, but wants a modular kitchen;
    Y received and disqualified in March by q1 for the budget, custom kitchen."""
    q1, q2 = data["people"]["q1"], data["people"]["q2"]
    budget = reason(Reason.Kind.DISQUALIFY, "no_budget")
    for name, received, closed, holder, interest in (
        ("X", dataset.at(2, 27, 10), dataset.at(3, 2, 10), q2, "modular"),
        ("Y", dataset.at(3, 20, 10), dataset.at(3, 21, 10), q1, "custom"),
    ):
        data["leads"][name] = LeadFactory(
            received_at=received, status=LeadStatus.DISQUALIFIED, qualifier=holder, first_called_by=holder,
            disqualify_reason=budget, disqualified_at=closed, closed_at=closed, product_interest=interest,
        )  # fmt: skip
    return data


def test_figures_by_hand(dropped, march, everyone):
    result = selectors.disqualified(report_filter=march, scope=everyone)
    total = result["total"]
    # by date of disqualification in March: L5, L6, X, Y; modular: L5, L6 (reason), X (interest)
    assert (total["dropped"], total["modular"]) == (4, 3)
    assert total["modular_share"] == pytest.approx(0.75)
    # cohort: received in March L1…L10 + Y = 11; of them disqualified L5, L6, Y; modular L5, L6
    assert (total["received"], total["cohort_dropped"], total["cohort_modular"]) == (11, 3, 2)
    assert total["cohort_share"] == pytest.approx(3 / 11)
    reasons = {row["label"]: row for row in result["reasons"]}
    assert {k: (r["dropped"], r["modular"], r["cohort_dropped"]) for k, r in reasons.items()} == {
        "Модульная кухня (не наш продукт)": (2, 2, 2),
        "Бюджет ниже порога": (2, 1, 1),
    }
    assert reasons["Бюджет ниже порога"]["share_of_dropped"] == pytest.approx(0.5)
    people = {row["label"]: row for row in result["people"]}
    assert {k: (r["dropped"], r["modular"], r["cohort_dropped"]) for k, r in people.items()} == {
        "Анна Иванова": (2, 1, 2),  # L5, Y
        "Борис Петров": (2, 2, 1),  # L6, X (received in February)
    }
    sources = {row["label"]: row for row in result["sources"]}
    assert (sources["Авито"]["dropped"], sources["Авито"]["received"]) == (1, 1)
    # website: dropped L5, X, Y; received in March 10 (all but L6), of them dropped L5, Y
    site = sources["Сайт"]
    assert (site["dropped"], site["received"], site["cohort_dropped"]) == (3, 10, 2)
    assert site["cohort_share"] == pytest.approx(0.2)


def test_the_page_says_which_basis_and_exports(client, dropped):
    client.force_login(dropped["people"]["director"])
    response = client.get(reverse("reports:disqualified"), MARCH)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Дисквалифицировано (по дате дисквалификации)" in page
    assert "Дисквалифицировано из поступивших (когорта)" in page
    assert "75,0 %" in page
    export = client.get(reverse("reports:disqualified"), {**MARCH, "export": "csv", "table": "reasons"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1][:2] == ["Итого", "4"]


@pytest.mark.parametrize("role", [roles.QUALIFIER, roles.SALES_REP])
def test_qualifiers_and_reps_may_not_open_it(client, data, role):
    client.force_login(make_user(role))
    assert client.get(reverse("reports:disqualified"), MARCH).status_code == 403


def test_query_count_is_constant(client, dropped, django_assert_max_num_queries):
    client.force_login(dropped["people"]["director"])
    client.get(reverse("reports:disqualified"), MARCH)  # remembers the period in the session
    extra = [make_user(roles.QUALIFIER, username=f"extra{i}") for i in range(5)]
    budget = reason(Reason.Kind.DISQUALIFY, "no_budget")
    for i in range(30):
        closed = dataset.at(3, 1 + i % 28, 12)
        LeadFactory(
            received_at=dataset.at(3, 1 + i % 28, 10), qualifier=extra[i % 5], status=LeadStatus.DISQUALIFIED,
            disqualify_reason=budget, disqualified_at=closed, closed_at=closed,
        )  # fmt: skip
    # session, user, roles, two-factor gate, bell, form choices (3) + summary, reasons, people, names, sources
    with django_assert_max_num_queries(13):
        assert client.get(reverse("reports:disqualified"), MARCH).status_code == 200
