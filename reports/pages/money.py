"""Sales, economics and source economics."""

from django.utils.translation import gettext_lazy as _

from leadflow import access
from leadflow.models import ProductInterest

from .. import selectors
from ..definitions import FIGURES, figure_column
from ..selectors.drill import dim_value
from ..selectors.sources import campaign_dim, source_economics
from ..tables import Chart, Column, ReportTable


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
