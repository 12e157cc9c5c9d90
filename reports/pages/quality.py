"""Hand-off quality, disqualifications and call reviews."""

from django.utils.translation import gettext_lazy as _

from .. import rollup, selectors, stats
from ..definitions import FIGURES, figure_column
from ..selectors.disqualified import disqualified_dimension_value
from ..selectors.drill import dim_value
from ..tables import Chart, Column, ReportTable


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
