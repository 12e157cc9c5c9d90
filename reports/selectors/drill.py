"""The drill-down's shared shapes: from a figure of a dashboard to the very leads it counts.

Every page declares its figures once (`PageDrill`): their keys, a function listing the leads one of
them counts in one row of one table (the same Q the figure is counted with, so the two can never
disagree), and the name of that row. `reports.drilldown.REGISTRY` collects the pages; the leads page
(`/reports/leads/?figure=…&group_by=…&dim=…`) and tests/reports/test_drilldown.py read it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

NO_VALUE = "none"  # the `dim` of a row of no one / no team / no source / no reason


@dataclass(frozen=True)
class DrillContext:
    """What a drill-down list is computed from: the page's filters, the viewer's scope, the request's
    other parameters (the pilot's two periods), the time the figures are computed at."""

    report_filter: object
    scope: object
    query: Mapping = field(default_factory=dict)
    now: datetime | None = None


@dataclass(frozen=True)
class PageDrill:
    """The drill-downs of one dashboard.

    `figures`: the keys it declares; `describe(figure)` → (name, definition), the list's heading;
    `leads(ctx, figure, group_by,
    dim)` → the Lead queryset the figure counts in that row (dim None: the page's total), KeyError
    for a figure, table or row the page does not have; `row_label(group_by, dim)` → "Квалификатор:
    Анна Иванова"; `events`: the figures that count events rather than leads (a lead disputed twice
    is listed twice, once per event)."""

    page: str
    figures: tuple
    describe: Callable
    leads: Callable
    row_label: Callable
    events: frozenset = frozenset()


def narrow(leads, field_name, dim, *, text=False):
    """`leads` whose `field_name` is the row's `dim`: NO_VALUE for null, an id (or a text with
    `text`) otherwise; KeyError for a dim that is no id."""
    if dim == NO_VALUE:
        return leads.filter(**{f"{field_name}__isnull": True})
    if text:
        return leads.filter(**{field_name: dim})
    try:
        return leads.filter(**{field_name: int(dim)})
    except (TypeError, ValueError):
        raise KeyError(dim) from None


def dim_value(value):
    """A row's group value as its `dim`."""
    return NO_VALUE if value is None else str(value)
