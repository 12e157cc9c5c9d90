"""The statistical flag: a two-proportion z-test on a constructed outlier qualifier."""

import math
from datetime import timedelta
from decimal import Decimal

import pytest

from leadflow import roles
from leadflow.db import percentile_cont
from leadflow.models import HandoffState, Lead, LeadStatus
from reports import stats
from reports.selectors import ReportFilter, Scope, handoff_quality
from tests.factories import make_user, qualification_team, source

from .conftest import MARCH
from .dataset import at


def test_z_test_by_hand():
    # outlier 4 won of 40 vs the rest 48 of 120: pooled p = 52/160 = 0.325
    # z = (0.1 − 0.4) / sqrt(0.325 · 0.675 · (1/40 + 1/120)) = −0.3 / 0.085513 = −3.508
    test = stats.two_proportion_lower(4, 40, 48, 120)
    assert test.z == pytest.approx(-3.5082, abs=1e-3)
    assert test.p_value == pytest.approx(0.000226, abs=1e-5)  # Φ(−3.508)
    assert test.enough_data and test.flagged
    # 16 of 40 vs 36 of 120: z = (0.4 − 0.3) / 0.085513 = +1.169 → not lower
    assert not stats.two_proportion_lower(16, 40, 36, 120).flagged


def test_too_few_is_never_flagged():
    test = stats.two_proportion_lower(0, 3, 5, 10)  # expected won of 3 hand-offs = 3 · 5/13 < 5
    assert not test.enough_data and not test.flagged


def test_wilson_interval_by_hand():
    # 4 of 40, z = 1.96: centre = (0.1 + 1.96²/80) / (1 + 1.96²/40) = 0.14802 / 1.09604 = 0.13505;
    # half width = 1.96 · sqrt(0.1 · 0.9 / 40 + 1.96² / 6400) / 1.09604 = 0.09547 → [0.0396, 0.2305]
    low, high = stats.wilson_interval(4, 40)
    assert low == pytest.approx(0.0396, abs=1e-3)
    assert high == pytest.approx(0.2305, abs=1e-3)
    assert stats.wilson_interval(0, 0) == (None, None)


def test_percentile_matches_postgres_definition():
    assert percentile_cont([3, 4, 5, 5, 10, 12, 20, 21, 30], 0.9) == pytest.approx(22.8)
    assert percentile_cont([1, 2], 0.5) == 1.5
    assert percentile_cont([], 0.5) is None
    assert math.isclose(percentile_cont([7], 0.9), 7)


@pytest.mark.django_db
def test_outlier_qualifier_is_flagged_on_the_page(client):
    """Three qualifiers win 16 of 40 hand-offs each, the outlier 4 of 40 — flagged, the others not."""
    team = qualification_team()
    rep = make_user(roles.SALES_REP)
    site = source()
    qualifiers = [make_user(roles.QUALIFIER, username=f"q{i}", last_name=f"Q{i}") for i in range(3)]
    outlier = make_user(roles.QUALIFIER, username="outlier", first_name="Остап", last_name="Выброс")
    leads = []
    for person, wins in [*[(q, 16) for q in qualifiers], (outlier, 4)]:
        for i in range(40):
            handed = at(3, 2 + i % 25, 10)
            won = i < wins
            leads.append(
                Lead(
                    phone=f"+7900{person.pk:03d}{i:04d}",
                    source=site,
                    qualification_team=team,
                    received_at=handed - timedelta(hours=1),
                    status=LeadStatus.WON if won else LeadStatus.LOST,
                    qualifier=person,
                    handed_off_by=person,
                    qualified_by=person,
                    sales_rep=rep,
                    qualified_at=handed - timedelta(minutes=5),
                    handed_off_at=handed,
                    handoff_state=HandoffState.ACCEPTED,
                    accepted_at=handed + timedelta(hours=1),
                    measured_at=handed + timedelta(days=2),
                    closed_at=handed + timedelta(days=3),
                    deal_amount=Decimal("300000") if won else None,
                )
            )
    Lead.objects.bulk_create(leads)

    result = handoff_quality(report_filter=ReportFilter(period=MARCH), scope=Scope())
    rows = {row["label"]: row for row in result["rows"]}
    flagged = rows["Остап Выброс"]
    assert flagged["flagged"] and flagged["verdict"] == "flagged"
    assert flagged["z"] == pytest.approx(-3.508, abs=1e-3)
    assert flagged["rest_rate"] == pytest.approx(0.4)
    assert [row["label"] for row in result["rows"] if row["flagged"]] == ["Остап Выброс"]
    assert all(rows[q.get_full_name()]["verdict"] == "ok" for q in qualifiers)

    director = make_user(roles.DIRECTOR, username="boss")
    client.force_login(director)
    body = client.get(
        "/reports/handoff/", {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-testid="flag"' in body
    assert "Остап Выброс: 4 won of 40 hand-offs" in body
    assert "z = -3.51" in body
    assert body.count('data-testid="flagged-row"') == 1
