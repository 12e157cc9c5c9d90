"""From every figure to the leads behind it (issue 13 §3): the registry of the dashboards' figures.

A figure key is "<page>.<figure>" ("funnel.won", "handoff.upheld"); each page's PageDrill
(reports.selectors.drill) lists the leads one figure counts, in one row of one table, with the same Q
the figure is counted with. `drilldown()` is what the leads page shows; tests/reports/test_drilldown.py
follows every link of every page and checks that the list counts as the figure shown.
"""

import json
from datetime import date

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from leadflow.models import Reason, Source
from sales.models import ObjectionTag

from . import selectors
from .definitions import FIGURES
from .forms import PilotForm
from .selectors.common import users_by_id
from .selectors.criteria import ATTRIBUTES, CRITERIA_FIGURES, criteria_drilldown, questions
from .selectors.disqualified import FIGURES as DISQUALIFIED_KEYS
from .selectors.disqualified import disqualified_dimension_label, disqualified_drilldown
from .selectors.drill import NO_VALUE, DrillContext, PageDrill
from .selectors.economics import economics_drilldown
from .selectors.funnel import CRITERION, criterion_choices, funnel_dimension_label, funnel_drilldown
from .selectors.funnel import FIGURE_FILTERS as FUNNEL_FILTERS
from .selectors.funnel import FIGURE_LABELS as FUNNEL_LABELS
from .selectors.handoff import EVENT_FIGURES, LEAD_FIGURES, handoff_drilldown
from .selectors.mystats import own_drilldown, team_drilldown
from .selectors.pilot import pilot_drilldown
from .selectors.sales import sales_drilldown
from .selectors.sources import FIGURES as SOURCE_FIGURES
from .selectors.sources import sources_drilldown
from .selectors.speed import speed_drilldown

FUNNEL_GROUPS = [("team", _("Team")), ("qualifier", _("Qualifier")), ("source", _("Source")), ("region", _("Region"))]

# funnel stage → the registry's figure (reports.definitions): the funnel counts the leads received
FUNNEL_FIGURES = {"received": "received", "handed_off": "handed_off_cohort", "won": "won_cohort"}


def _of_filter(selector_drilldown):
    """A PageDrill's `leads` from a selector's drilldown(figure, report_filter, scope, group_by, dim)."""

    def leads(ctx, figure, group_by, dim):
        return selector_drilldown(
            figure=figure, report_filter=ctx.report_filter, scope=ctx.scope, group_by=group_by, dim=dim
        )

    return leads


def _described(registered, key, fallback):
    figure = FIGURES.get(registered.get(key, ""))
    return (figure.name, figure.definition) if figure else fallback


def _funnel_describe(figure):
    if figure == "funnel.won_event":
        return FIGURES["won_event"].name, FIGURES["won_event"].definition
    stage = figure.split(".", 1)[1]
    name = FUNNEL_LABELS[figure]
    return _described(
        FUNNEL_FIGURES,
        stage,
        (name, _("Leads received in the period that reached the stage «%(stage)s».") % {"stage": name}),
    )


def _funnel_leads(ctx, figure, group_by, dim):
    if figure == "funnel.won_event":  # the card "N won, as on the sales page": selectors.won_revenue
        if dim is not None:
            raise KeyError(dim)
        return selectors.won_revenue_leads(report_filter=ctx.report_filter, scope=ctx.scope, basis="event")
    leads = selectors.lead_base(report_filter=ctx.report_filter, scope=ctx.scope)
    return funnel_drilldown(figure=figure, leads=leads, group_by=group_by, dim=dim)


def _funnel_row(group_by, dim):
    if group_by.startswith(CRITERION):
        code = group_by.removeprefix(CRITERION)
        question = dict(criterion_choices()).get(code)
        if question is None:
            raise KeyError(group_by)
        title = _("Answer: %(question)s") % {"question": question[:60]}
    else:
        title = dict(FUNNEL_GROUPS)[group_by]
    return f"{title}: {funnel_dimension_label(group_by, dim)}"


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


def _disqualified_row(group_by, dim):
    return f"{DISQUALIFIED_GROUPS[group_by]}: {disqualified_dimension_label(group_by, dim)}"


SPEED_GROUPS = [("team", _("Team")), ("qualifier", _("Qualifier")), ("source", _("Source")), ("hour", _("Hour of day"))]
SPEED_NAMES = {
    "speed.leads": (_("Leads received"), _("Leads received in the period.")),
    "speed.called": (_("Called"), _("Leads received in the period that have had their first call.")),
    "speed.decided": (
        _("Counted for SLA"),
        _("Called, or not called and past the breach deadline: the denominator of the SLA shares."),
    ),
    "speed.within_warn": (
        _("Called within the warning limit"),
        _("Leads received in the period whose first call came by their own warning deadline (working hours)."),
    ),
    "speed.within_breach": (
        _("Called before the breach"),
        _("Leads received in the period whose first call came by their own breach deadline (working hours)."),
    ),
}
WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _speed_leads(ctx, figure, group_by, dim):
    leads = selectors.lead_base(report_filter=ctx.report_filter, scope=ctx.scope)
    return speed_drilldown(figure=figure, leads=leads, group_by=group_by, dim=dim, now=ctx.now)


def _speed_row(group_by, dim):
    if group_by == "week":
        return f"{_('Week from')}: {date.fromisoformat(dim):%d.%m.%Y}"
    if group_by == "heat":
        weekday, hour = (int(part) for part in dim.split("-"))
        return f"{_('Weekday and hour')}: {WEEKDAYS[weekday - 1]} {hour:02d}:00"
    if group_by == "hour":
        return f"{_('Hour of day')}: {int(dim):02d}:00"
    return f"{dict(SPEED_GROUPS)[group_by]}: {funnel_dimension_label(group_by, dim)}"


HANDOFF_FIGURES = {
    "handoff.handoffs": "handoffs",
    "handoff.current": "handoffs_net",
    "handoff.upheld": "upheld",
    "handoff.won": "won_handoffs",
}
HANDOFF_NAMES = {
    "handoff.accepted": (_("Accepted (of the hand-offs made)"), _("Hand-offs made in the period accepted by the rep.")),
    "handoff.measured": (
        _("Reached measurement (of the hand-offs made)"),
        _("Hand-offs made in the period whose lead has been measured."),
    ),
}


def _handoff_describe(figure):
    return _described(HANDOFF_FIGURES, figure, HANDOFF_NAMES.get(figure))


def _handoff_row(group_by, dim):
    name = users_by_id([int(dim)]).get(int(dim), "—")
    if group_by == "rest":
        return _("Rest of the team but %(name)s") % {"name": name}
    return f"{_('Qualifier')}: {name}"


SALES_FIGURES = {"sales.won": "won_event"}
SALES_NAMES = {
    "sales.handed_off": (_("Hand-offs received"), _("Leads handed off to the rep in the period.")),
    "sales.accepted": (_("Accepted"), _("Hand-offs accepted by the rep in the period.")),
    "sales.disputed": (
        _("Disputes raised"),
        _("Disputes the rep raised in the period; one line per dispute."),
    ),
    "sales.disputes_rejected": (
        _("Rejected disputes"),
        _("Disputes the rep raised in the period that were rejected; one line per dispute."),
    ),
    "sales.measured": (_("Measurements"), _("Leads measured in the period.")),
    "sales.quotes": (_("Quotes"), _("Leads measured in the period with a quote.")),
    "sales.lost": (_("Lost (by deal date)"), _("Deals closed as lost in the period.")),
    "sales.objection": (_("Objections at measurements"), _("Leads measured in the period with this objection.")),
}


def _sales_describe(figure):
    return _described(SALES_FIGURES, figure, SALES_NAMES.get(figure))


def _sales_row(group_by, dim):
    if group_by == "rep":
        return f"{_('Sales rep')}: {_person(dim)}"
    if group_by == "objection":
        title = ObjectionTag.objects.filter(pk=int(dim)).values_list("title", flat=True).first()
        return f"{_('Objection')}: {title or '—'}"
    title = None if dim == NO_VALUE else Reason.objects.filter(pk=int(dim)).values_list("title", flat=True).first()
    return f"{_('Reason')}: {title or '—'}"


ECONOMICS_NAMES = {
    "economics.qualified": (
        _("Qualified (by date of qualification)"),
        _("Leads qualified in the whole months of the period: the cost per qualified lead divides by them."),
    ),
    "economics.measured": (
        _("Measured (by date of measurement)"),
        _("Leads measured in the whole months of the period: the cost per measurement divides by them."),
    ),
    "economics.won": (
        _("Won (by deal date)"),
        _("Deals closed as won in the whole months of the period: revenue and the cost per won deal."),
    ),
    "economics.handoff_wins": (
        _("Won hand-offs"),
        _("Deals won in the month from the leads the person qualified, whose hand-off had been accepted."),
    ),
    "economics.clawed": (
        _("Clawed back, deals"),
        _("Of the person's won hand-offs of the month, those on which a dispute was upheld against them."),
    ),
    "economics.deals_won": (_("Own deals won"), _("Deals the person won in the month.")),
    "economics.pair_won": (
        _("Won (by deal date)"),
        _("Deals closed as won in the whole months of the period, qualified by the one and closed by the other."),
    ),
}


def _person(dim):
    return "—" if dim == NO_VALUE else users_by_id([int(dim)]).get(int(dim), "—")


def _economics_row(group_by, dim):
    if group_by == "statement":
        person, month = dim.split(":")
        return f"{_('Person')}: {_person(person)}, {month[5:]}.{month[:4]}"
    qualifier, rep = dim.split(":")
    return f"{_('Qualifier')}: {_person(qualifier)} · {_('Closed by')}: {_person(rep)}"


PILOT_NAMES = {
    "pilot.leads": (_("Leads received"), _("Leads received in the period.")),
    "pilot.within_warn": (
        _("Called within the warning limit"),
        _("Leads received in the period whose first call came by their own warning deadline."),
    ),
    "pilot.qualified": (
        _("Qualified (of the leads received)"),
        _("Leads received in the period qualified by now (at a common age when a cohort is immature)."),
    ),
    "pilot.measured": (
        _("Measured (of the leads received)"),
        _("Leads received in the period measured by now (at a common age when a cohort is immature)."),
    ),
    "pilot.won": (
        _("Won (of the leads received)"),
        _("Leads received in the period won by now (at a common age when a cohort is immature)."),
    ),
}
PILOT_SIDES = {"a": _("Before"), "b": _("After")}


def _pilot_leads(ctx, figure, group_by, dim):
    if group_by != "side" or dim not in PILOT_SIDES:
        raise KeyError(dim)
    form = PilotForm(ctx.query or None, initial=PilotForm.defaults())
    period_a, period_b = form.periods()
    return pilot_drilldown(
        figure=figure,
        period_a=period_a,
        period_b=period_b,
        report_filter=ctx.report_filter,
        scope=ctx.scope,
        side=dim,
        now=ctx.now,
    )


def _pilot_row(group_by, dim):
    return str(PILOT_SIDES[dim])


MY_NAMES = {
    "my.taken": (_("Leads taken"), _("Leads the person claimed in the period.")),
    "my.within_sla": (
        _("Called within SLA"),
        _("Leads whose first call the person made in the period by the lead's warning deadline."),
    ),
    "my.qualified": (_("Qualified"), _("Leads the person qualified in the period.")),
    "my.handed_off": (_("Handed off"), _("Leads the person qualified that were handed off in the period.")),
    "my.accepted": (_("Accepted"), _("Hand-offs of the leads the person qualified accepted in the period.")),
    "my.handoff_won": (
        _("Won of own hand-offs"),
        _("Leads the person qualified that were won in the period."),
    ),
    "my.received": (_("Hand-offs received"), _("Leads handed off to the rep in the period.")),
    "my.measured": (_("Measurements"), _("Leads the rep measured in the period.")),
    "my.won": (_("Deals won"), _("Deals the rep won in the period.")),
}
MY_SIDES = {"day": _("Today"), "month": _("This month")}


def _my_leads(ctx, figure, group_by, dim):
    if group_by != "person" or dim is None:
        raise KeyError(group_by)
    return team_drilldown(figure=figure, scope=ctx.scope, person_id=int(dim), now=ctx.now)


def _my_row(group_by, dim):
    return f"{_('This month')} · {_('Person')}: {_person(dim)}"


CRITERIA_NAMES = {
    "criteria.leads": (_("Leads received"), _("Leads received in the period.")),
    "criteria.handoffs": (
        _("Hand-offs"),
        _("Leads received in the period handed off at least once (an upheld dispute undid the hand-off)."),
    ),
    "criteria.upheld": (_("Disputes upheld"), _("Leads received in the period with an upheld dispute.")),
    "criteria.measured": (_("Measurements"), _("Leads received in the period that were measured.")),
    "criteria.won": (_("Won"), _("Leads received in the period that are won deals by now.")),
    "criteria.disqualified": (_("Disqualified"), _("Leads received in the period that were disqualified.")),
    "criteria.comeback": (
        _("Disqualified, bought later"),
        _("Disqualified leads that are won deals now or whose phone came back as a later lead that was won."),
    ),
}


SOURCES_NAMES = {
    "sources.leads": (_("Leads received (cohort)"), _("Leads received in the whole months of the period.")),
    "sources.qualified": (
        _("Qualified (of the leads received)"),
        _("Leads received in the whole months of the period that have been qualified."),
    ),
    "sources.handed_off": (
        _("Handed off (of the leads received)"),
        _("Leads received in the whole months of the period that carry a hand-off now."),
    ),
    "sources.measured": (
        _("Measured (of the leads received)"),
        _("Leads received in the whole months of the period that have been measured."),
    ),
    "sources.won": (
        _("Won (of the leads received)"),
        _("Leads received in the whole months of the period that are won deals by now."),
    ),
}


def _criteria_row(group_by, dim):
    kind, _sep, name = group_by.partition(":")
    if kind == "a":
        title = ATTRIBUTES[name][0]
        if name == "source":
            dim = Source.objects.filter(pk=int(dim)).values_list("name", flat=True).first() or "—"
        return f"{title}: {dim or _('Not given')}"
    question = next((q for q in questions() if q.code == name), None)
    if question is None:
        raise KeyError(group_by)
    if question.kind == "number":
        return f"{question.text}: {question.band_labels()[int(dim)]}"
    return f"{question.text}: {question.answer_label(json.loads(dim))}"


def _sources_row(group_by, dim):
    if group_by == "month":
        return f"{_('Month received')}: {dim[5:]}.{dim[:4]}"
    source_id, _sep, campaign = dim.partition(":")
    name = Source.objects.filter(pk=int(source_id)).values_list("name", flat=True).first() or "—"
    if group_by == "source":
        return f"{_('Source')}: {name}"
    return f"{_('Source')}: {name} · {_('Campaign')}: {campaign or _('no tag')}"


REGISTRY = {
    "criteria": PageDrill(
        "criteria", CRITERIA_FIGURES, CRITERIA_NAMES.__getitem__, _of_filter(criteria_drilldown), _criteria_row
    ),
    "funnel": PageDrill("funnel", (*FUNNEL_FILTERS, "funnel.won_event"), _funnel_describe, _funnel_leads, _funnel_row),
    "disqualified": PageDrill(
        "disqualified",
        tuple(f"disqualified.{key}" for key in DISQUALIFIED_KEYS),
        _disqualified_describe,
        _of_filter(disqualified_drilldown),
        _disqualified_row,
    ),
    "handoff": PageDrill(
        "handoff",
        (*LEAD_FIGURES, *EVENT_FIGURES),
        _handoff_describe,
        _of_filter(handoff_drilldown),
        _handoff_row,
        events=frozenset(EVENT_FIGURES),
    ),
    "sales": PageDrill(
        "sales",
        (*SALES_FIGURES, *SALES_NAMES),
        _sales_describe,
        _of_filter(sales_drilldown),
        _sales_row,
        events=frozenset({"sales.disputed", "sales.disputes_rejected"}),
    ),
    "economics": PageDrill(
        "economics",
        tuple(ECONOMICS_NAMES),
        ECONOMICS_NAMES.__getitem__,
        _of_filter(economics_drilldown),
        _economics_row,
    ),
    "sources": PageDrill(
        "sources", SOURCE_FIGURES, SOURCES_NAMES.__getitem__, _of_filter(sources_drilldown), _sources_row
    ),
    "my": PageDrill("my", tuple(MY_NAMES), MY_NAMES.__getitem__, _my_leads, _my_row),
    "pilot": PageDrill("pilot", tuple(PILOT_NAMES), PILOT_NAMES.__getitem__, _pilot_leads, _pilot_row),
    "speed": PageDrill("speed", tuple(SPEED_NAMES), SPEED_NAMES.__getitem__, _speed_leads, _speed_row),
}


def declared_figures():
    """Every figure key of every dashboard."""
    return [figure for page in REGISTRY.values() for figure in page.figures]


def drilldown(*, figure, report_filter, scope, group_by=None, dim=None, query=None, now=None):
    """The leads behind one figure of a dashboard, with its name and definition and the row it
    belongs to. Raises KeyError for an unknown figure, grouping or dimension (the view answers 404)."""
    page = REGISTRY[figure.split(".", 1)[0]]
    if figure not in page.figures or (dim is not None and not group_by):
        raise KeyError(figure)
    ctx = DrillContext(report_filter=report_filter, scope=scope, query=query or {}, now=now)
    try:
        leads = page.leads(ctx, figure, group_by, dim)
        row_label = None if dim is None else page.row_label(group_by, dim)
    except (ValueError, IndexError, TypeError):  # a row's dim that is no id, date or pair
        raise KeyError(dim) from None
    name, definition = page.describe(figure)
    return {
        "leads": leads,
        "name": name,
        "definition": definition,
        "row_label": row_label,
        "events": figure in page.events,
        "back_url": reverse(f"reports:{page.page}"),
        # kept by the filter form of the drill-down page
        "params": [(k, v) for k, v in (("figure", figure), ("group_by", group_by), ("dim", dim)) if v is not None],
    }


def own_drill(*, figure, user, side, now=None):
    """The leads behind one of the person's own figures on My stats (today or this month): never
    anyone else's (the person is the viewer, not a parameter), only those the person may open."""
    if figure not in MY_NAMES or side not in MY_SIDES:
        raise KeyError(figure)
    visible, counted = own_drilldown(figure=figure, user=user, side=side, now=now)
    name, definition = MY_NAMES[figure]
    return {
        "leads": visible,
        "counted": counted,
        "name": name,
        "definition": definition,
        "row_label": str(MY_SIDES[side]),
        "events": False,
        "back_url": reverse("reports:my"),
        "params": [("figure", figure), ("dim", side)],
    }
