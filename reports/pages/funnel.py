"""The funnel and the speed of reaction: tables, charts and the rollup's note."""

from django.utils.translation import gettext_lazy as _

from .. import rollup, selectors
from ..definitions import FIGURES, figure_column
from ..drilldown import FUNNEL_FIGURES, FUNNEL_GROUPS, SPEED_GROUPS, WEEKDAYS
from ..selectors.funnel import STAGE_TIMES, STAGES, criterion_choices, funnel_dimension_value
from ..selectors.speed import calls_by_hand, speed_dimension_value
from ..tables import Chart, Column, ReportTable

# said next to medians read from the rollup's histograms (reports.rollup.MAX_RELATIVE_ERROR)
ROLLUP_NOTE = _("Medians and p90 from the daily rollup's histograms, error ≤ 1 %.")


def funnel_group_choices():
    return FUNNEL_GROUPS + [
        (f"criterion:{code}", _("Answer: %(question)s") % {"question": question[:60]})
        for code, question in criterion_choices()
    ]


def funnel_page(*, report_filter, scope, group_by, group_choices=FUNNEL_GROUPS):
    plan = rollup.funnel_plan(report_filter=report_filter, scope=scope, group_by=group_by)
    result = selectors.funnel(
        leads=selectors.lead_base(report_filter=report_filter, scope=scope), group_by=group_by, plan=plan
    )
    total = result["total"]
    # the same month on the other pages' bases, side by side (issue 13 §2)
    by_deal_date = selectors.won_revenue(report_filter=report_filter, scope=scope, basis="event")
    reconciliation = selectors.handoff_quality(report_filter=report_filter, scope=scope)["reconciliation"]
    stage_rows = [
        {"label": str(label), "count": total[key], "figure": f"funnel.{key}", "dim": None} for key, label, _q in STAGES
    ]
    previous = None
    for row in stage_rows:
        row["from_previous"] = None if previous is None else (row["count"] / previous if previous else None)
        row["from_received"] = row["count"] / total["received"] if total["received"] else None
        previous = row["count"]
    stages = ReportTable(
        "stages",
        _("Funnel"),
        [
            Column("label", _("Stage"), "text"),
            Column("count", _("Leads"), "int", link="@row"),
            Column("from_previous", _("From the previous stage"), "pct", link="@row", count="count"),
            Column("from_received", _("From received"), "pct", link="@row", count="count"),
        ],
        stage_rows,
        chart=Chart("bar", [("count", _("Leads"))], horizontal=True),
    )
    for row in result["matrix"]:
        row.update(figure=f"funnel.{row['stage']}", dim=None)
    matrix_columns = [Column("label", _("From \\ to"), "text"), Column("count", _("Leads"), "int", link="@row")]
    matrix_columns += [
        Column(key, label, "pct", link=f"funnel.{key}", count=f"{key}_count") for key, label, _q in STAGES[1:]
    ]
    matrix = ReportTable(
        "conversion-matrix",
        _("Conversion between every pair of stages"),
        matrix_columns,
        result["matrix"],
        note=_("Share of the leads at the row's stage that reached the column's stage."),
    )
    group_title = dict(group_choices).get(group_by, _("Group"))
    group_columns = [Column("label", group_title, "text")]
    group_columns += [
        figure_column(FUNNEL_FIGURES[key], key, "int", link=f"funnel.{key}")
        if key in FUNNEL_FIGURES
        else Column(key, label, "int", link=f"funnel.{key}")
        for key, label, _q in STAGES
    ]
    for row in result["rows"]:
        value = funnel_dimension_value(row, group_by)
        if value is not None:
            row["dim"] = (group_by, value)
    group_columns += [
        Column("conv_qualified", _("Called → qualified"), "pct", link="funnel.qualified", count="qualified"),
        Column("conv_total", _("Received → won"), "pct", link="funnel.won", count="won"),
        figure_column("revenue_cohort", "revenue", "money"),
        Column("avg_deal", _("Average deal"), "money"),
        Column("cycle_days", _("Cycle to won, median days"), "days"),
    ]
    groups = ReportTable(
        "by-group",
        _("Split by %(group)s") % {"group": str(group_title).lower()},
        group_columns,
        result["rows"],
        chart=Chart(
            "bar",
            [("conv_qualified", _("Called → qualified")), ("conv_total", _("Received → won"))],
            percent=True,
        ),
        footer={**total, "label": str(_("Total")), "dim": None},
    )
    times = ReportTable(
        "stage-times",
        _("Time spent in each stage (median)"),
        [
            Column("label", _("Stage"), "text"),
            Column("minutes", _("Minutes"), "min"),
            Column("hours", _("Hours"), "num"),
        ],
        [
            {
                "label": str(label),
                "minutes": total[f"{key}_min"],
                "hours": None if total[f"{key}_min"] is None else total[f"{key}_min"] / 60,
            }
            for key, label, *_rest in STAGE_TIMES
        ],
        chart=Chart("bar", [("hours", _("Hours"))], horizontal=True, y_title=_("hours")),
        note=str(_("Wall-clock time between the stage timestamps; measured → won counts won deals only."))
        + (" " + str(ROLLUP_NOTE) if result.get("from_rollup") else ""),
    )
    return {
        "total": total,
        "tables": [stages, groups, matrix, times],
        "by_deal_date": by_deal_date,
        "reconciliation": reconciliation,
        "figures": FIGURES,
    }


SPEED_COLUMNS = [
    Column("leads", _("Leads"), "int", link="speed.leads"),
    Column("called", _("Called"), "int", link="speed.called"),
    Column(
        "decided",
        _("Counted for SLA"),
        "int",
        help=_("Called, or not called and past the breach deadline: the denominator of the SLA shares."),
        link="speed.decided",
    ),
    Column("warn_share", _("Within warning"), "pct", link="speed.within_warn", count="within_warn"),
    Column("breach_share", _("Before breach"), "pct", link="speed.within_breach", count="within_breach"),
    Column("first_call_p50_min", _("First call p50, min"), "min"),
    Column("first_call_p90_min", _("First call p90, min"), "min"),
    Column("system_p50_min", _("System p50, min"), "min"),
    Column("people_p50_min", _("People p50, min"), "min"),
    Column("system_p90_min", _("System p90, min"), "min"),
    Column("people_p90_min", _("People p90, min"), "min"),
]


def speed_page(*, report_filter, scope, group_by):
    plan = rollup.speed_plan(report_filter=report_filter, scope=scope, group_by=group_by)
    result = selectors.speed(
        leads=selectors.lead_base(report_filter=report_filter, scope=scope), group_by=group_by, plan=plan
    )
    note = str(ROLLUP_NOTE) if result.get("from_rollup") else ""
    title = dict(SPEED_GROUPS).get(group_by, _("Group"))
    for row in result["rows"]:
        row["dim"] = (group_by, speed_dimension_value(row, group_by))
    groups = ReportTable(
        "by-group",
        _("Speed to lead by %(group)s") % {"group": str(title).lower()},
        [Column("label", title, "text"), *SPEED_COLUMNS],
        result["rows"],
        chart=Chart(
            "bar",
            [("system_p50_min", _("System part, median min")), ("people_p50_min", _("People part, median min"))],
            stacked=True,
            y_title=_("minutes"),
        ),
        footer={**result["total"], "label": str(_("Total")), "dim": None},
        note=note,
    )
    for row in result["trend"]:
        row["label"] = row["week"].strftime("%d.%m.%Y")
        row["dim"] = ("week", speed_dimension_value(row, "week"))
    trend = ReportTable(
        "by-week",
        _("Trend by week"),
        [Column("label", _("Week from"), "text"), *SPEED_COLUMNS],
        result["trend"],
        chart=Chart("line", [("warn_share", _("Called within the warning limit"))], percent=True),
        note=note,
    )
    heat_rows = []
    for weekday in range(1, 8):
        for hour in range(24):
            cell = result["heatmap"].get((weekday, hour))
            if cell:
                heat_rows.append(
                    {
                        "weekday": str(WEEKDAYS[weekday - 1]),
                        "hour": hour,
                        "leads": cell["leads"],
                        "p50": cell["p50_min"],
                        "dim": ("heat", f"{weekday}-{hour}"),
                    }
                )
    heat = ReportTable(
        "heatmap",
        _("Weekday × hour: leads and median minutes to the first call"),
        [
            Column("weekday", _("Weekday"), "text"),
            Column("hour", _("Hour"), "id"),
            Column("leads", _("Leads"), "int", link="speed.leads"),
            Column("p50", _("First call, median min"), "min"),
        ],
        heat_rows,
        note=note,
    )
    grid = []
    peak = max((cell["p50_min"] or 0 for cell in result["heatmap"].values()), default=0) or 1
    for weekday in range(1, 8):
        cells = []
        for hour in range(24):
            cell = result["heatmap"].get((weekday, hour))
            p50 = cell["p50_min"] if cell else None
            cells.append(
                {
                    "leads": cell["leads"] if cell else 0,
                    "p50": p50,
                    "alpha": round(0.12 + 0.78 * min(1.0, (p50 or 0) / peak), 2) if p50 is not None else 0,
                    "dim": f"{weekday}-{hour}",
                }
            )
        grid.append({"weekday": WEEKDAYS[weekday - 1], "cells": cells})
    callers, callers_total = calls_by_hand(leads=selectors.lead_base(report_filter=report_filter, scope=scope))
    by_hand = ReportTable(
        "by-hand",
        _("Calls logged by hand, by who called"),
        [
            Column("label", _("Who called"), "text"),
            Column("calls", _("Calls"), "int", of_leads=False),
            Column(
                "by_hand",
                _("Logged by hand"),
                "int",
                help=_("Typed in on the card: made outside the PBX and the telephony webhook."),
                of_leads=False,
            ),
            Column("by_hand_share", _("Share by hand"), "pct", of_leads=False),
        ],
        callers,
        footer={**callers_total, "label": str(_("Total")), "dim": None},
    )
    return {
        "total": result["total"],
        "tables": [groups, trend, heat, by_hand],
        "heatmap_grid": grid,
        "hours": range(24),
    }
