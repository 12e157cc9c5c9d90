"""A director opens every dashboard in Chromium: the charts render (canvas + Chart instance)."""

import pytest

from leadflow import roles
from reports.reference import ensure_default_plans
from sales.reference import ensure_objection_tags
from tests.factories import make_user, sales_team

from . import demo

MARCH = "?preset=custom&start=2025-03-01&end=2025-03-31"
PAGES = [
    ("funnel", MARCH + "&group_by=qualifier"),
    ("speed", MARCH + "&group_by=hour"),
    ("handoff", MARCH),
    ("disqualified", MARCH),
    ("sales", MARCH),
    ("economics", MARCH),
    ("pilot", "?a_start=2025-02-01&a_end=2025-02-28&b_start=2025-03-01&b_end=2025-03-31"),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_director_sees_charts_on_every_dashboard(page):
    from django.apps import apps

    ensure_default_plans(apps.get_model)
    ensure_objection_tags(apps.get_model)
    demo.build()
    make_user(roles.SALES_MANAGER, team=sales_team(), username="demo_manager", first_name="Мария", last_name="Орлова")
    make_user(roles.DIRECTOR, username="director", first_name="Дмитрий", last_name="Директоров")
    page.login("director")
    for name, query in PAGES:
        page.goto(f"{page.base_url}/reports/{name}/{query}")
        page.wait_for_function("() => window.reportCharts && window.reportCharts.length > 0")
        canvases = page.locator("canvas[data-chart]").count()
        assert canvases >= 1, name
        created = page.evaluate(
            "() => Array.from(document.querySelectorAll('canvas[data-chart]')).filter(c => Chart.getChart(c)).length"
        )
        assert created == canvases, name
        assert page.locator("table.report-table").count() >= 1, name
        page.save_screenshot(f"reports_{name}")
    page.goto(f"{page.base_url}/reports/handoff/{MARCH}")
    assert page.locator("[data-testid=flag]").count() >= 1  # the demo's weak qualifier (15 % vs ~40 %)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_director_drills_down_from_a_funnel_count_to_its_leads(page):
    """Issue 13 §3: a count on the funnel is one click from the list of the leads it counts."""
    from django.apps import apps

    ensure_default_plans(apps.get_model)
    ensure_objection_tags(apps.get_model)  # a transactional test before this one flushed the reference rows
    demo.build()
    make_user(roles.DIRECTOR, username="director", first_name="Дмитрий", last_name="Директоров")
    page.login("director")
    page.goto(f"{page.base_url}/reports/funnel/{MARCH}&group_by=qualifier")
    link = page.locator("[data-testid=table-by-group] tbody a[data-figure='funnel.qualified']").first
    shown = link.inner_text().strip()
    assert int(shown.replace("\u00a0", "").replace(" ", "")) > 0
    link.click()
    page.wait_for_url("**/reports/leads/?**figure=funnel.qualified**")
    assert page.locator("[data-testid=drill-count]").inner_text() == shown
    rows = page.locator("[data-testid=table-leads] tbody tr").count()
    assert rows == min(int(shown), 100)
    assert "Квалифицирован · Квалификатор:" in page.locator("[data-testid=drill-figure]").inner_text()
    page.save_screenshot("reports_drilldown")
    page.locator("[data-testid=drill-back]").click()
    page.wait_for_url("**/reports/funnel/**group_by=qualifier**")


def _number(text):
    return int(text.replace("\u00a0", "").replace(" ", "").strip())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_director_drills_down_from_hand_off_quality_and_speed_on_a_laptop_and_a_phone(page):
    """Issue 13 §3: from a qualifier's hand-offs (events: one line per hand-off or upheld dispute) and
    from a cell of the speed heat map to the leads behind them, at 1440 px and on a 390 px phone."""
    from django.apps import apps

    ensure_default_plans(apps.get_model)
    ensure_objection_tags(apps.get_model)
    demo.build()
    make_user(roles.DIRECTOR, username="director", first_name="Дмитрий", last_name="Директоров")
    page.login("director")

    page.goto(f"{page.base_url}/reports/handoff/{MARCH}")
    link = page.locator("[data-testid=table-qualifiers] tbody a[data-figure='handoff.handoffs']").first
    shown = link.inner_text().strip()
    assert _number(shown) > 0
    link.click()
    page.wait_for_url("**/reports/leads/?**figure=handoff.handoffs**")
    assert page.locator("[data-testid=drill-count]").inner_text() == shown
    assert page.locator("[data-testid=table-leads] tbody tr").count() == min(_number(shown), 100)
    assert "Квалификатор:" in page.locator("[data-testid=drill-figure]").inner_text()
    assert "по строке на событие" in page.locator("[data-testid=drill-events]").inner_text()
    page.save_screenshot("reports_drilldown_handoff")
    page.locator("[data-testid=drill-back]").click()
    page.wait_for_url("**/reports/handoff/**")
    # the reconciliation's numbers are links too
    net = page.locator("[data-testid=reconciliation] a[data-figure='handoff.current']")
    expected = net.get_attribute("data-count")
    net.click()
    page.wait_for_url("**figure=handoff.current**")
    assert page.locator("[data-testid=drill-count]").inner_text() == expected

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/reports/speed/{MARCH}&group_by=hour")
    cell = page.locator("[data-testid=heatmap-grid] a[data-figure='speed.leads']").first
    expected = cell.get_attribute("data-count")
    assert int(expected) > 0
    page.save_screenshot("reports_speed_phone")
    cell.scroll_into_view_if_needed()
    cell.click()
    page.wait_for_url("**figure=speed.leads**group_by=heat**")
    assert page.locator("[data-testid=drill-count]").inner_text() == expected
    assert "День недели и час: " in page.locator("[data-testid=drill-figure]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the wide table scrolls in its card
    page.save_screenshot("reports_drilldown_phone")
