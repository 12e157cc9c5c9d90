"""The dashboards as tables and charts, built from the selectors' aggregated rows."""

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow import access
from leadflow.models import ProductInterest

from . import rollup, selectors, stats
from .definitions import FIGURES, figure_column
from .drilldown import FUNNEL_FIGURES, FUNNEL_GROUPS, SPEED_GROUPS, WEEKDAYS
from .selectors.disqualified import disqualified_dimension_value
from .selectors.drill import dim_value
from .selectors.funnel import STAGE_TIMES, STAGES, criterion_choices, funnel_dimension_value
from .selectors.pilot import METRICS
from .selectors.sources import campaign_dim, source_economics
from .selectors.speed import calls_by_hand, speed_dimension_value
from .tables import Chart, Column, ReportTable

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


def handoff_page(*, report_filter, scope):
    result = selectors.handoff_quality(report_filter=report_filter, scope=scope)
    verdicts = {
        "flagged": _("Below the team"),
        "ok": _("Not significantly different"),
        "too_few": _("Too few to judge"),
    }
    for row in result["rows"]:
        row["verdict_label"] = str(verdicts[row["verdict"]])
        row["dim"] = ("qualifier", str(row["person_id"]))
        row["rest_dim"] = ("rest", str(row["person_id"]))
    team = {**result["team"], "label": str(_("Team (all rows)")), "verdict_label": "", "dim": None}
    table = ReportTable(
        "qualifiers",
        _("Hand-off quality per qualifier"),
        [
            Column("label", _("Qualifier"), "text"),
            Column("verdict_label", _("Verdict"), "text"),
            figure_column("handoffs", "handoffs", "int", link="handoff.handoffs"),
            Column("accept_rate", _("Accepted"), "pct", link="handoff.accepted", count="accepted"),
            figure_column("upheld", "upheld", "int", link="handoff.upheld"),
            Column("measured_rate", _("Reached measurement"), "pct", link="handoff.measured", count="measured"),
            figure_column("won_handoffs", "won", "int", link="handoff.won"),
            Column("win_rate", _("Win rate"), "pct", link="handoff.won", count="won"),
            # xgettext:no-python-format (a plain label: '% lo', '% hi', '% o' are not placeholders)
            Column("low", _("95% low"), "pct", of_leads=False),
            # xgettext:no-python-format (a plain label: '% lo', '% hi', '% o' are not placeholders)
            Column("high", _("95% high"), "pct", of_leads=False),
            Column("rest_rate", _("Rest of team"), "pct", link="handoff.won", count="rest_won", dim="rest_dim"),
            Column("z", _("z"), "num"),
            Column("p_value", _("p-value"), "p"),
            figure_column("revenue_handoffs", "revenue", "money"),
        ],
        result["rows"],
        chart=Chart(
            "bar",
            [("accept_rate", _("Accepted")), ("measured_rate", _("Reached measurement")), ("win_rate", _("Win rate"))],
            percent=True,
        ),
        footer=team,
    )
    return {
        "tables": [table],
        "flagged": [row for row in result["rows"] if row["flagged"]],
        "team": result["team"],
        "alpha": result["alpha"],
        "min_expected": stats.MIN_EXPECTED,
        "reconciliation": result["reconciliation"],
        "figures": FIGURES,
    }


def sales_page(*, report_filter, scope):
    result = selectors.sales_per_rep(report_filter=report_filter, scope=scope)
    for row in result["rows"]:
        row["dim"] = ("rep", dim_value(row["sales_rep_id"]))
    for row in result["objections"]:
        row["dim"] = ("objection", dim_value(row["objectiontag_id"]))
    for row in result["lost_reasons"]:
        row["dim"] = ("lost_reason", dim_value(row["lose_reason_id"]))
    reps = ReportTable(
        "reps",
        _("Sales per rep"),
        [
            Column("label", _("Sales rep"), "text"),
            Column("handed_off", _("Hand-offs"), "int", link="sales.handed_off"),
            Column("accepted", _("Accepted"), "int", link="sales.accepted"),
            Column("disputed", _("Disputed"), "int", link="sales.disputed"),
            Column("disputes_rejected", _("Rejected disputes"), "int", link="sales.disputes_rejected"),
            Column("measured", _("Measurements"), "int", link="sales.measured"),
            Column("quotes", _("Quotes"), "int", link="sales.quotes"),
            Column("avg_quote", _("Average quote"), "money"),
            figure_column("won_event", "won", "int", link="sales.won"),
            Column("lost", _("Lost"), "int", link="sales.lost"),
            Column("win_rate", _("Win rate"), "pct", link="sales.won", count="won"),
            figure_column("revenue_event", "revenue", "money"),
            Column("avg_deal", _("Average deal"), "money"),
        ],
        result["rows"],
        chart=Chart("bar", [("measured", _("Measurements")), ("won", _("Won")), ("lost", _("Lost"))]),
        footer={**result["total"], "label": str(_("Total")), "dim": None},
    )
    objections = ReportTable(
        "objections",
        _("Objections at measurements"),
        [
            Column("label", _("Objection"), "text"),
            Column("count", _("Times"), "int", link="sales.objection"),
            Column("share", _("Of measurements"), "pct", link="sales.objection", count="count"),
        ],
        result["objections"],
        chart=Chart("bar", [("count", _("Times"))], horizontal=True),
    )
    lost = ReportTable(
        "lost-reasons",
        _("Why deals were lost"),
        [
            Column("label", _("Reason"), "text"),
            Column("count", _("Deals"), "int", link="sales.lost"),
            Column("share", _("Of lost"), "pct", link="sales.lost", count="count"),
        ],
        result["lost_reasons"],
        chart=Chart("bar", [("count", _("Deals"))], horizontal=True),
    )
    cohort = selectors.won_revenue(report_filter=report_filter, scope=scope, basis="cohort")
    return {"tables": [reps, objections, lost], "total": result["total"], "cohort": cohort, "figures": FIGURES}


def economics_page(*, report_filter, scope):
    result = selectors.economics(report_filter=report_filter, scope=scope)
    for row in result["statements"]:
        row["dim"] = ("statement", f"{row['person_id']}:{row['month']:%Y-%m}")
    for row in result["pairs"]:
        row["dim"] = ("pair", f"{dim_value(row['qualified_by_id'])}:{dim_value(row['sales_rep_id'])}")
    teams = ReportTable(
        "payroll-by-team",
        _("Payroll per team and month"),
        [
            Column("month", _("Month"), "month"),
            Column("team", _("Team"), "text"),
            Column("people", _("People"), "int", of_leads=False),
            Column("fixed", _("Fixed"), "money"),
            Column("bonus", _("Bonus"), "money"),
            Column("total", _("Total"), "money"),
        ],
        [{**row, "label": f"{row['team']} {row['month']:%m.%Y}"} for row in result["teams"]],
        chart=Chart("bar", [("fixed", _("Fixed")), ("bonus", _("Bonus"))], stacked=True, y_title="₽"),
    )
    statements = ReportTable(
        "statements",
        _("Monthly statements"),
        [
            Column("month", _("Month"), "month"),
            Column("label", _("Person"), "text"),
            Column("role_label", _("Role"), "text"),
            Column("team", _("Team"), "text"),
            Column("fixed", _("Fixed"), "money"),
            Column("handoff_wins", _("Won hand-offs"), "int", link="economics.handoff_wins"),
            Column("earned", _("Per-deal bonus"), "money"),
            Column("clawed", _("Clawed back, deals"), "int", link="economics.clawed"),
            Column("clawback", _("Clawback"), "money"),
            Column("deals_won", _("Own deals won"), "int", link="economics.deals_won"),
            Column("revenue", _("Own revenue"), "money"),
            Column("rep_bonus", _("Revenue share"), "money"),
            Column("adjustment", _("Adjustments for paid months"), "money"),
            Column("bonus", _("Bonus"), "money"),
            Column("total", _("Total"), "money"),
            # xgettext:no-python-format (a plain label: '% lo', '% hi', '% o' are not placeholders)
            Column("bonus_share", _("Bonus, % of pay"), "pct", of_leads=False),
            Column("plan", _("Plan"), "text"),
        ],
        result["statements"],
    )
    pairs = ReportTable(
        "double-credit",
        _("Double credit: each won deal counts for the qualifier and the rep"),
        [
            Column("qualifier", _("Qualifier"), "text"),
            Column("rep", _("Closed by"), "text"),
            figure_column("won_event", "won", "int", link="economics.pair_won"),
            figure_column("revenue_event", "revenue", "money"),
        ],
        result["pairs"],
    )
    adjustments = ReportTable(
        "adjustments",
        _("Adjustments: deals of paid months corrected afterwards"),
        [
            Column("month", _("Month"), "month"),
            Column("label", _("Person"), "text"),
            Column("deal", _("Deal"), "text"),
            Column("deal_month", _("Paid month"), "month"),
            Column("old", _("Was, ₽"), "money"),
            Column("new", _("Now, ₽"), "money"),
            Column("bonus", _("Bonus difference"), "money"),
            Column("reason", _("Reason"), "text"),
        ],
        [
            {**line, "month": row["month"], "label": row["label"], "deal": f"#{line['lead_id']}"}
            for row in result["statements"]
            for line in row["adjustments"]
        ],
    )
    summary = result["summary"]

    def counted(figure):  # the count a unit cost divides by, linked to its leads
        return {"count": summary[figure], "figure": f"economics.{figure}", "dim": None}

    cost_rows = [
        {"label": str(_("Payroll, total")), "value": summary["payroll"]},
        {"label": str(_("Payroll of the qualification team")), "value": summary["qualification_payroll"]},
        {"label": str(_("Payroll of the sales team")), "value": summary["sales_payroll"]},
        {"label": str(FIGURES["revenue_event"].name), "value": summary["revenue"], **counted("won")},
        {
            "label": str(_("Cost per qualified lead (qualification payroll)")),
            "value": summary["cost_per_qualified"],
            **counted("qualified"),
        },
        {
            "label": str(_("Cost per measurement (total payroll)")),
            "value": summary["cost_per_measurement"],
            **counted("measured"),
        },
        {"label": str(_("Cost per won deal (total payroll)")), "value": summary["cost_per_won"], **counted("won")},
    ]
    costs = ReportTable(
        "unit-costs",
        _("Unit costs"),
        [
            Column("label", _("Figure"), "text"),
            Column("value", _("₽"), "money"),
            Column("count", _("Leads counted"), "int", link="@row"),
        ],
        cost_rows,
        note=_("Revenue per rouble of payroll: %(value)s") % {"value": summary["revenue_per_rouble"] or "—"},
    )
    tables = [teams, costs, statements, pairs] + ([adjustments] if adjustments.rows else [])
    return {"tables": tables, "summary": summary, "months": result["months"]}


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


LEADS_PREVIEW = 100  # rows shown on the page; the export has them all


CONTACT_COLUMNS = ("name", "phone", "email", "address")


def leads_page(*, report_filter, scope, drill=None, page_number=None, contacts=True):
    """The leads of the period with the client's contacts (for managers and the director); with
    `drill` (reports.drilldown) only the leads behind that figure, paginated. Without `contacts` (a
    person's own figures on My stats) the list and its export leave the client's contacts out."""
    rows = selectors.leads_with_contacts(
        report_filter=report_filter, scope=scope, leads=drill["leads"] if drill else None
    )
    for row in rows:
        row["received"] = timezone.localtime(row["received_at"]).strftime("%d.%m.%Y %H:%M")
        row["closed"] = timezone.localtime(row["closed_at"]).strftime("%d.%m.%Y") if row["closed_at"] else ""
    table = ReportTable(
        "leads",
        _("Leads with contacts"),
        [
            Column("pk", _("Lead no."), "id"),
            Column("received", _("Received"), "text"),
            Column("name", _("Client"), "text"),
            Column("phone", _("Phone"), "text"),
            Column("email", _("E-mail"), "text"),
            Column("city", _("City"), "text"),
            Column("region", _("Region"), "text"),
            Column("address", _("Address"), "text"),
            Column("source__name", _("Source"), "text"),
            Column("status_label", _("Status"), "text"),
            Column("qualified_by", _("Qualified by"), "text"),
            Column("sales_rep", _("Sales rep"), "text"),
            Column("deal_amount", _("Deal amount"), "money"),
            Column("closed", _("Closed"), "text"),
        ],
        rows,
        note=_("Client contacts: the export is logged and visible to the director."),
        export_kind=access.EXPORT_CONTACTS,
    )
    if not contacts:
        table = ReportTable(
            "leads",
            _("My leads"),
            [column for column in table.columns if column.key not in CONTACT_COLUMNS],
            rows,
            note=_("The client's contacts are on the lead's card."),
            export_kind=access.EXPORT_OWN,
        )
    page_obj = Paginator(rows, LEADS_PREVIEW).get_page(page_number)
    preview = ReportTable(table.slug, table.title, table.columns, list(page_obj.object_list), note=table.note)
    return {
        "tables": [table],
        "preview": preview,
        "count": len(rows),
        "distinct_leads": len({row["pk"] for row in rows}),
        "preview_limit": LEADS_PREVIEW,
        "page_obj": page_obj,
        "drill": drill,
    }


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


def _disqualified_columns(first):
    return [
        first,
        figure_column("disqualified_event", "dropped", "int", link="disqualified.dropped"),
        Column("share_of_dropped", _("Of all disqualified"), "pct", link="disqualified.dropped", count="dropped"),
        Column("modular", _("Of them modular"), "int", link="disqualified.modular"),
        Column("modular_share", _("Modular share"), "pct", link="disqualified.modular", count="modular"),
        figure_column("disqualified_cohort", "cohort_dropped", "int", link="disqualified.cohort_dropped"),
        Column(
            "cohort_modular_share",
            _("Modular share (cohort)"),
            "pct",
            link="disqualified.cohort_modular",
            count="cohort_modular",
        ),
    ]


def disqualified_page(*, report_filter, scope):
    result = selectors.disqualified(report_filter=report_filter, scope=scope)
    total = {**result["total"], "label": str(_("Total")), "dim": None}
    for group_by, key in (("reason", "reasons"), ("qualifier", "people"), ("source", "sources")):
        for row in result[key]:
            row["dim"] = (group_by, disqualified_dimension_value(row, group_by))
    note = _(
        "“By date of disqualification”: leads disqualified in the period, whenever received. "
        "“Cohort”: leads received in the period that were disqualified by now."
    )
    reasons = ReportTable(
        "reasons",
        _("Disqualified by reason"),
        _disqualified_columns(Column("label", _("Reason"), "text")),
        result["reasons"],
        chart=Chart("bar", [("dropped", FIGURES["disqualified_event"].name)], horizontal=True),
        note=note,
        footer=total,
    )
    people = ReportTable(
        "qualifiers",
        _("Disqualified by qualifier"),
        _disqualified_columns(Column("label", _("Qualifier"), "text")),
        result["people"],
        chart=Chart("bar", [("dropped", FIGURES["disqualified_event"].name), ("modular", _("Of them modular"))]),
        note=_("A disqualified lead counts for whoever held it when it was closed (else its first caller)."),
        footer=total,
    )
    sources = ReportTable(
        "sources",
        _("Disqualified by source"),
        [
            *_disqualified_columns(Column("label", _("Source"), "text")),
            Column("received", _("Leads received (cohort)"), "int", link="disqualified.received"),
            Column(
                "cohort_share",
                _("Share of the received disqualified (cohort)"),
                "pct",
                link="disqualified.cohort_dropped",
                count="cohort_dropped",
            ),
        ],
        result["sources"],
        chart=Chart("bar", [("cohort_share", _("Share of the received disqualified (cohort)"))], percent=True),
        footer=total,
    )
    return {"total": result["total"], "tables": [reasons, people, sources]}


NO_CAMPAIGN = _("no tag")


def _source_economics_columns(first):
    return [
        *first,
        Column("spend", _("Spend, net of VAT"), "money"),
        Column("leads", _("Leads"), "int", link="sources.leads"),
        Column("cost_per_lead", _("Cost per lead"), "money"),
        Column("qualified_share", _("Qualified"), "pct", link="sources.qualified", count="qualified"),
        Column("handed_off", _("Hand-offs"), "int", link="sources.handed_off"),
        Column("cost_per_handoff", _("Cost per hand-off"), "money"),
        Column("measured", _("Measurements"), "int", link="sources.measured"),
        Column("cost_per_measurement", _("Cost per measurement"), "money"),
        Column("won", _("Deals"), "int", link="sources.won"),
        Column("cac", _("Cost per deal (CAC)"), "money", help=str(_("Spend divided by the cohort's won deals."))),
        figure_column("revenue_cohort", "revenue", "money"),
        Column("margin", _("Gross margin"), "money", help=str(_("Revenue × the margin rate of the deal's product."))),
        Column("romi", _("ROMI"), "pct", of_leads=False, help=str(_("(Gross margin − spend) / spend."))),
    ]


def source_economics_page(*, report_filter, scope, counterfactual=None):
    result = source_economics(report_filter=report_filter, scope=scope, counterfactual=counterfactual)
    for row in result["campaigns"]:
        row["label"] = row["campaign"] or str(NO_CAMPAIGN)
        row["dim"] = ("campaign", campaign_dim(row["source_id"], row["campaign"]))
    for row in result["sources"]:
        row["label"] = row["source"]
        row["dim"] = ("source", str(row["source_id"]))
    for row in result["by_month"]:
        row["label"] = row["month"].strftime("%m.%Y")
        row["dim"] = ("month", row["month"].strftime("%Y-%m"))
    total = {**result["total"], "label": str(_("Total")), "source": str(_("Total")), "dim": None}
    note = _(
        "Cohort: the leads received in the whole months of the period and what became of them by now. "
        "Spend net of VAT for the same months. Leads without utm_campaign are counted as «без метки»."
    )

    def table(slug, title, first, rows, **kwargs):
        columns = _source_economics_columns(first)
        return ReportTable(slug, title, columns, rows, footer=total, export_kind=access.EXPORT_COMPANY, **kwargs)

    campaigns = table(
        "by-campaign",
        _("By source and campaign"),
        [Column("source", _("Source"), "text"), Column("label", _("Campaign"), "text", verbatim=True)],
        result["campaigns"],
        note=note,
    )
    sources = table(
        "by-source",
        _("By source"),
        [Column("label", _("Source"), "text")],
        result["sources"],
        chart=Chart("bar", [("romi", _("ROMI"))], percent=True),
    )
    months = table(
        "by-month",
        _("ROMI by month the leads were received"),
        [Column("label", _("Month"), "text")],
        result["by_month"],
        chart=Chart("line", [("romi", _("ROMI"))], percent=True),
        note=_("A young cohort's ROMI still grows while its leads reach their deals."),
    )
    two = result["two_tier"]
    lines = [  # (label, kind, the two-tier figure, the counterfactual's)
        (_("Marketing spend, net of VAT"), "money", "spend", "spend"),
        (_("Qualification: the team's pay / the reps' time"), "money", "qualification_pay", "rep_cost"),
        (_("Cost, total"), "money", "two_tier_cost", "counterfactual_cost"),
        (_("Deals"), "num", "won", "won_counterfactual"),
        (_("Cost per deal"), "money", "two_tier_per_deal", "counterfactual_per_deal"),
    ]
    comparison = ReportTable(
        "two-tier",
        _("Cost per deal: the two-tier model against reps qualifying themselves"),
        [
            Column("label", _("Figure"), "text"),
            Column("two_tier", _("Two-tier model"), "num", by_row=True),
            Column("counterfactual", _("Reps qualify themselves"), "num", by_row=True),
        ],
        [
            {"label": str(label), "kind": kind, "two_tier": two[ours], "counterfactual": two[theirs]}
            for label, kind, ours, theirs in lines
        ],
        export_kind=access.EXPORT_COMPANY,
    )
    return {
        "tables": [campaigns, sources, months, comparison],
        "total": result["total"],
        "two": two,
        "months": result["months"],
        "rates": result["rates"],
        "missing_rates": [
            str(ProductInterest(product).label) if product in ProductInterest.values else product
            for product in result["missing_rates"]
        ],
    }


def _weekly_table(slug, title, columns, weeks):
    """A week per row, a score column per person or step (from `_weekly_pivot`), drawn as lines."""
    return ReportTable(
        slug,
        title,
        [
            Column("label", _("Week from"), "text"),
            *(Column(key, label, "pct", of_leads=False) for key, label in columns),
        ],
        weeks,
        chart=Chart("line", columns, percent=True),
    )


def _weekly_pivot(rows, *, key, label_of, order):
    """Rows [{week, <key>, score}] → one row per week with a score column per `key` value, the columns
    in `order` (a list of the key's values)."""
    columns, weeks = {}, {}
    for row in rows:
        columns.setdefault(row[key], label_of(row))
        week = weeks.setdefault(row["week"], {"label": row["week"].strftime("%d.%m.%Y")})
        week[f"c{row[key]}"] = row["score"]
    ranked = sorted(columns, key=lambda value: order.index(value) if value in order else len(order))
    return [(f"c{value}", columns[value]) for value in ranked], [weeks[week] for week in sorted(weeks)]


def reviews_page(*, report_filter, scope):
    """Call review scores per qualifier beside their hand-off quality and SLA (the same selectors as the
    hand-off and speed pages), and per script step, by week."""
    result = selectors.call_review_scores(report_filter=report_filter, scope=scope)
    handoff = {
        row["person_id"]: row for row in selectors.handoff_quality(report_filter=report_filter, scope=scope)["rows"]
    }
    plan = rollup.speed_plan(report_filter=report_filter, scope=scope, group_by="qualifier")
    speed = selectors.speed(
        leads=selectors.lead_base(report_filter=report_filter, scope=scope), group_by="qualifier", plan=plan
    )
    sla = {row["credited_id"]: row for row in speed["rows"]}
    rows = []
    for row in result["people"]:
        person = row["qualifier_id"]
        quality, calls = handoff.get(person, {}), sla.get(person, {})
        rows.append(
            {
                **row,
                "dim": ("qualifier", dim_value(person)),
                **{
                    key: quality.get(key)
                    for key in ("handoffs", "accept_rate", "accepted", "upheld", "win_rate", "won")
                },
                **{
                    key: calls.get(key)
                    for key in ("decided", "warn_share", "within_warn", "breach_share", "within_breach")
                },
            }
        )
    people = ReportTable(
        "qualifiers",
        _("Call review score per qualifier, beside hand-off quality and SLA"),
        [
            Column("label", _("Qualifier"), "text"),
            Column("reviews", _("Calls reviewed"), "int", of_leads=False),
            Column("score", _("Review score"), "pct", of_leads=False),
            Column("from_disputes", _("Of them behind upheld disputes"), "int", of_leads=False),
            Column("acknowledged_share", _("Acknowledged"), "pct", of_leads=False),
            figure_column("handoffs", "handoffs", "int", link="handoff.handoffs"),
            Column("accept_rate", _("Accepted"), "pct", link="handoff.accepted", count="accepted"),
            figure_column("upheld", "upheld", "int", link="handoff.upheld"),
            Column("win_rate", _("Win rate"), "pct", link="handoff.won", count="won"),
            Column("warn_share", _("Within warning"), "pct", link="speed.within_warn", count="within_warn"),
            Column("breach_share", _("Before breach"), "pct", link="speed.within_breach", count="within_breach"),
        ],
        rows,
        chart=Chart("bar", [("score", _("Review score")), ("warn_share", _("Within warning"))], percent=True),
        footer={**result["total"], "label": str(_("Total")), "dim": None},
        note=_(
            "Reviews of the calls made in the period. Hand-off figures: hand-offs made in the period (as on the "
            "hand-off quality page); SLA: leads received in the period, credited to their first caller (as on the "
            "speed page)."
        ),
    )
    columns, weeks = _weekly_pivot(
        result["weekly"],
        key="qualifier_id",
        label_of=lambda row: row["label"],
        order=[row["qualifier_id"] for row in result["people"]],
    )
    by_week = _weekly_table("qualifiers-by-week", _("Review score per qualifier by week"), columns, weeks)
    titles = {row["step__code"]: row["title"] for row in result["steps"]}
    for row in result["steps"]:
        row["label"] = row["title"]
    steps = ReportTable(
        "steps",
        _("Script steps: how they are covered"),
        [
            Column("label", _("Step"), "text"),
            Column("marked", _("Calls reviewed"), "int", of_leads=False),
            Column("done", _("Covered"), "int", of_leads=False),
            Column("partly", _("Partly"), "int", of_leads=False),
            Column("missed", _("Missed"), "int", of_leads=False),
            Column("score", _("Step score"), "pct", of_leads=False),
        ],
        result["steps"],
        chart=Chart("bar", [("score", _("Step score"))], horizontal=True, percent=True),
        note=_("Steps of every script version, matched by their code; done counts 1, partly ½, missed 0."),
    )
    step_rows = [{**row, "week": row["review__week"]} for row in result["step_weeks"]]
    columns, weeks = _weekly_pivot(
        step_rows,
        key="step__code",
        label_of=lambda row: titles.get(row["step__code"], ""),
        order=[row["step__code"] for row in result["steps"]],
    )
    steps_by_week = _weekly_table("steps-by-week", _("Step score by week"), columns, weeks)
    return {"tables": [people, by_week, steps, steps_by_week], "total": result["total"], "figures": FIGURES}
