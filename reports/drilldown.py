"""From every figure to the leads behind it (issue 13 §3): the registry of the dashboards' figures.

A figure key is "<page>.<figure>" ("funnel.won", "handoff.upheld"); each page's PageDrill
(reports.selectors.drill) lists the leads one figure counts, in one row of one table, with the same Q
the figure is counted with. `drilldown()` is what the leads page shows; tests/reports/test_drilldown.py
follows every link of every page and checks that the list counts as the figure shown.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import selectors
from .definitions import FIGURES
from .selectors.disqualified import FIGURES as DISQUALIFIED_KEYS
from .selectors.disqualified import disqualified_dimension_label, disqualified_drilldown
from .selectors.drill import DrillContext, PageDrill
from .selectors.funnel import FIGURE_FILTERS as FUNNEL_FILTERS
from .selectors.funnel import FIGURE_LABELS as FUNNEL_LABELS
from .selectors.funnel import funnel_dimension_label, funnel_drilldown

FUNNEL_GROUPS = [("team", _("Team")), ("qualifier", _("Qualifier")), ("source", _("Source")), ("region", _("Region"))]

# funnel stage → the registry's figure (reports.definitions): the funnel counts the leads received
FUNNEL_FIGURES = {"received": "received", "handed_off": "handed_off_cohort", "won": "won_cohort"}


def _described(registered, key, fallback):
    figure = FIGURES.get(registered.get(key, ""))
    return (figure.name, figure.definition) if figure else fallback


def _funnel_describe(figure):
    stage = figure.split(".", 1)[1]
    name = FUNNEL_LABELS[figure]
    return _described(
        FUNNEL_FIGURES,
        stage,
        (name, _("Leads received in the period that reached the stage «%(stage)s».") % {"stage": name}),
    )


def _funnel_leads(ctx, figure, group_by, dim):
    leads = selectors.lead_base(report_filter=ctx.report_filter, scope=ctx.scope)
    return funnel_drilldown(figure=figure, leads=leads, group_by=group_by, dim=dim)


def _funnel_row(group_by, dim):
    return f"{dict(FUNNEL_GROUPS)[group_by]}: {funnel_dimension_label(group_by, dim)}"


DISQUALIFIED_FIGURES = {"dropped": "disqualified_event", "cohort_dropped": "disqualified_cohort"}
DISQUALIFIED_GROUPS = {"reason": _("Reason"), "qualifier": _("Qualifier"), "source": _("Source")}
DISQUALIFIED_NAMES = {
    "modular": (
        _("Disqualified as modular (by date of disqualification)"),
        _("Reason “modular kitchen” or product interest “modular”, of the leads disqualified in the period."),
    ),
    "received": (_("Leads received (cohort)"), _("Leads received in the period.")),
    "cohort_modular": (
        _("Disqualified as modular (cohort)"),
        _("Leads received in the period, disqualified by now as modular."),
    ),
}


def _disqualified_describe(figure):
    key = figure.split(".", 1)[1]
    return _described(DISQUALIFIED_FIGURES, key, DISQUALIFIED_NAMES.get(key))


def _disqualified_leads(ctx, figure, group_by, dim):
    return disqualified_drilldown(
        figure=figure, report_filter=ctx.report_filter, scope=ctx.scope, group_by=group_by, dim=dim
    )


def _disqualified_row(group_by, dim):
    return f"{DISQUALIFIED_GROUPS[group_by]}: {disqualified_dimension_label(group_by, dim)}"


REGISTRY = {
    "funnel": PageDrill("funnel", tuple(FUNNEL_FILTERS), _funnel_describe, _funnel_leads, _funnel_row),
    "disqualified": PageDrill(
        "disqualified",
        tuple(f"disqualified.{key}" for key in DISQUALIFIED_KEYS),
        _disqualified_describe,
        _disqualified_leads,
        _disqualified_row,
    ),
}


def declared_figures():
    """Every figure key of every dashboard."""
    return [figure for page in REGISTRY.values() for figure in page.figures]


def drilldown(*, figure, report_filter, scope, group_by=None, dim=None, query=None, now=None):
    """The leads behind one figure of a dashboard, with its name and definition and the row it
    belongs to. Raises KeyError for an unknown figure, grouping or dimension (the view answers 404)."""
    page = REGISTRY[figure.split(".", 1)[0]]
    if figure not in page.figures:
        raise KeyError(figure)
    ctx = DrillContext(report_filter=report_filter, scope=scope, query=query or {}, now=now)
    leads = page.leads(ctx, figure, group_by, dim)
    name, definition = page.describe(figure)
    return {
        "leads": leads,
        "name": name,
        "definition": definition,
        "row_label": None if dim is None else page.row_label(group_by, dim),
        "events": figure in page.events,
        "back_url": reverse(f"reports:{page.page}"),
        # kept by the filter form of the drill-down page
        "params": [(k, v) for k, v in (("figure", figure), ("group_by", group_by), ("dim", dim)) if v is not None],
    }
