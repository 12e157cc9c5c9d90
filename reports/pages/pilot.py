"""The pilot comparison and the per-person statistics tables."""

from django.utils.translation import gettext_lazy as _

from leadflow import access

from .. import selectors
from ..definitions import FIGURES
from ..selectors.pilot import METRICS
from ..tables import Chart, Column, ReportTable
from .funnel import ROLLUP_NOTE

PILOT_LABELS = {
    "leads": (_("Leads received"), "int"),
    "first_call_p50_min": (_("First call, median min"), "min"),
    "first_call_p90_min": (_("First call, p90 min"), "min"),
    "warn_share": (_("Called within the warning limit"), "pct"),
    "qualified_rate": (_("Received → qualified"), "pct"),
    "measured_rate": (_("Received → measured"), "pct"),
    "won_rate": (_("Received → won"), "pct"),
    "won": (FIGURES["won_cohort"].name, "int"),
    "revenue": (FIGURES["revenue_cohort"].name, "money"),
    "avg_deal": (_("Average deal"), "money"),
}


def pilot_page(*, period_a, period_b, report_filter, scope):
    result = selectors.pilot_comparison(period_a=period_a, period_b=period_b, report_filter=report_filter, scope=scope)
    rows = []
    for row in result["rows"]:
        label, kind = PILOT_LABELS[row["metric"]]
        rows.append({**row, "label": str(label), "kind": kind, "dim": None})
    table = ReportTable(
        "comparison",
        _("Before and after"),
        [
            Column("label", _("Figure"), "text"),
            Column("a", _("Before"), "num", by_row=True),
            Column("b", _("After"), "num", by_row=True),
            Column("delta", _("Difference"), "num", by_row=True),
            Column("relative", _("Change, %"), "pct", of_leads=False),
        ],
        rows,
        note=str(ROLLUP_NOTE) if result.get("from_rollup") else "",
    )
    chart_rows = [row for row in rows if row["kind"] == "pct"]
    rates = ReportTable(
        "rates",
        _("Reaction and conversion, before and after"),
        [
            Column("label", _("Figure"), "text"),
            Column("a", _("Before"), "pct", link="@row", count="a_count", dim=("side", "a")),
            Column("b", _("After"), "pct", link="@row", count="b_count", dim=("side", "b")),
        ],
        chart_rows,
        chart=Chart("bar", [("a", _("Before")), ("b", _("After"))], percent=True),
    )
    ages = result["maturity"]
    horizon_days = None if ages["horizon"] is None else ages["horizon"].days
    return {"tables": [rates, table], "rows": rows, "metrics": METRICS, "maturity": ages, "horizon_days": horizon_days}


def team_stats_table(rows):
    for row in rows:
        row["dim"] = ("person", str(row["person_id"]))
    return ReportTable(
        "team-month",
        _("This month per person"),
        [
            Column("label", _("Person"), "text"),
            Column("team", _("Team"), "text"),
            Column("role_label", _("Role"), "text"),
            Column("taken", _("Leads taken"), "int", link="my.taken"),
            Column("sla_share", _("Called within SLA"), "pct", link="my.within_sla", count="within_sla"),
            Column("qualified", _("Qualified"), "int", link="my.qualified"),
            Column("handed_off", _("Handed off"), "int", link="my.handed_off"),
            Column("handoff_won", _("Won of own hand-offs"), "int", link="my.handoff_won"),
            Column("received", _("Hand-offs received"), "int", link="my.received"),
            Column("measured", _("Measurements"), "int", link="my.measured"),
            Column("won", _("Deals won"), "int", link="my.won"),
            Column("revenue", _("Revenue"), "money"),
            Column("bonus", _("Bonus so far"), "money"),
            Column("total", _("Pay so far"), "money"),
        ],
        rows,
        chart=Chart("bar", [("bonus", _("Bonus so far"))], horizontal=True, y_title="₽"),
    )


def own_stats_table(own, *, qualifier, rep):
    """The person's own day and month as one exportable table (the figures of "My stats"; the page
    shows them as cards, each linking to the person's own leads: the columns name their figure)."""
    columns = [Column("label", _("Period"), "text")]
    if qualifier:
        columns += [
            Column("taken", _("Leads taken"), "int", link="my.taken"),
            Column("sla_share", _("Called within SLA"), "pct", link="my.within_sla", count="within_sla"),
            Column("qualified", _("Qualified"), "int", link="my.qualified"),
            Column("handed_off", _("Handed off"), "int", link="my.handed_off"),
            Column("accept_rate", _("Accepted"), "pct", link="my.accepted", count="accepted"),
            Column("handoff_won", _("Won of own hand-offs"), "int", link="my.handoff_won"),
        ]
    if rep:
        columns += [
            Column("received", _("Hand-offs received"), "int", link="my.received"),
            Column("measured", _("Measurements"), "int", link="my.measured"),
            Column("won", _("Won"), "int", link="my.won"),
            Column("win_rate", _("Win rate"), "pct", link="my.won", count="won"),
            Column("revenue", _("Revenue"), "money"),
        ]
    rows = [{**own["day"], "label": str(_("Today"))}, {**own["month"], "label": str(_("This month"))}]
    return ReportTable("own", _("My figures"), columns, rows, export_kind=access.EXPORT_OWN)
