"""A report table: columns with a kind (how to show and export the value), rows of aggregated
figures, and optionally the Chart.js chart drawn above it. Pages, templates and exports share it."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.http import QueryDict
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

# kind → how the cell is shown; exports write the raw number (percent as a fraction)
KINDS = ("text", "id", "int", "pct", "money", "min", "days", "num", "p", "month")  # id: a number, never grouped


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"
    help: str = ""  # the figure's definition, the header's tooltip (reports.definitions)
    by_row: bool = False  # the row says its kind (row["kind"]): a table of mixed figures
    # the figure key whose leads the cell counts ("funnel.won"; "@row": the row's own row["figure"]);
    # the cell links to them (drill_url) in the rows that carry "dim" (None for a total row)
    link: str = ""
    # the row's key of the count its list has: the column's own for a count; a share links to its
    # numerator's list ("within_warn" for "warn_share")
    count: str = ""
    # the cell's own (group_by, dim) when the columns, not the rows, split the figure (the pilot's
    # sides), or the row's key holding it (the rest of the team but the row's qualifier)
    dim: tuple | str | None = None
    # False for a number that is no count of leads nor a share of them (people, a p-value's bounds):
    # tests/reports/test_drilldown.py requires a link on every other int and pct column
    of_leads: bool = True
    # text typed by the marketing tools (a UTM campaign): marked translate="no", not words of the page
    verbatim: bool = False

    def drill_figure(self, row):
        if not self.link or "dim" not in row or (isinstance(self.dim, str) and row.get(self.dim) is None):
            return None
        return row.get("figure") if self.link == "@row" else self.link

    def drill_count(self, row):
        return row.get(self.count or self.key)

    def drill_dim(self, row):
        if isinstance(self.dim, str):
            return row.get(self.dim)
        return self.dim if self.dim is not None else row["dim"]

    def kind_for(self, row):
        return (row.get("kind") or self.kind) if self.by_row else self.kind

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(self.kind)


@dataclass
class Chart:
    """`series`: [(column key, label)]; values of pct columns are drawn as percent."""

    kind: str = "bar"  # bar | line
    series: list = field(default_factory=list)
    label_key: str = "label"
    horizontal: bool = False
    stacked: bool = False
    percent: bool = False
    y_title: str = ""


@dataclass
class ReportTable:
    slug: str
    title: str
    columns: list
    rows: list
    chart: Chart | None = None
    note: str = ""
    footer: dict | None = None  # a total / team row, shown last and exported last
    # what an export of it holds, which decides who may download it (leadflow.access.ensure_may_export)
    export_kind: str = "team"

    def all_rows(self):
        return [*self.rows, self.footer] if self.footer else list(self.rows)

    def chart_data(self):
        if self.chart is None:
            return None
        kinds = {column.key: column.kind for column in self.columns}
        datasets = []
        for key, label in self.chart.series:
            values = []
            for row in self.rows:
                value = row.get(key)
                if value is not None and kinds.get(key) == "pct":
                    value = round(float(value) * 100, 1)
                elif value is not None:
                    value = round(float(value), 2)
                values.append(value)
            datasets.append({"label": str(label), "data": values})
        return {
            "type": self.chart.kind,
            "labels": [str(row.get(self.chart.label_key, "")) for row in self.rows],
            "datasets": datasets,
            "horizontal": self.chart.horizontal,
            "stacked": self.chart.stacked,
            "percent": self.chart.percent,
            "yTitle": str(self.chart.y_title),
        }


DRILL_KEYS = ("figure", "group_by", "dim", "page", "export", "table")


def drill_url(querystring, figure, dim=None):
    """The drill-down list of a figure (/reports/leads/?figure=…) with the page's filters;
    `dim`: (group_by, the row's value) or None for the page's total."""
    query = QueryDict(querystring, mutable=True)
    for key in DRILL_KEYS:
        query.pop(key, None)
    query["figure"] = figure
    if dim is not None:
        query["group_by"], query["dim"] = dim
    return f"{reverse('reports:leads')}?{query.urlencode()}"


def _rounded(value, places):
    """Half up, as a person rounds: Django's number_format cuts a float's extra digits off instead."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def display(value, kind):
    """The cell as shown on the page (Russian/English number formats via Django's localisation)."""
    if value is None or value == "":
        return "—"
    if kind in ("text", "id"):
        return str(value)
    if kind == "month":
        return value.strftime("%m.%Y")
    if kind == "int":
        return number_format(value, 0, force_grouping=True)
    if kind == "pct":
        return number_format(_rounded(float(value) * 100, 1), 1) + " %"
    if kind == "money":
        return number_format(Decimal(value), 0, force_grouping=True) + " ₽"
    if kind == "min":
        return duration(value)
    if kind == "days":
        return duration(float(value) * MINUTES_PER_DAY)
    if kind == "p":
        return number_format(_rounded(value, 4), 4)
    return number_format(_rounded(value, 2), 2)


MINUTES_PER_DAY = 24 * 60


def duration(minutes):
    """Minutes as a person reads them: «3,5 мин», «4 ч 12 мин», «3 дн 2 ч» (exports keep the number)."""
    if minutes is None or minutes == "":
        return "—"
    minutes = float(minutes)
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": number_format(_rounded(minutes, 1), 1)}
    whole = round(minutes)
    if whole < MINUTES_PER_DAY:
        return _("%(hours)d h %(minutes)d min") % {"hours": whole // 60, "minutes": whole % 60}
    hours = round(minutes / 60)
    return _("%(days)d d %(hours)d h") % {"days": hours // 24, "hours": hours % 24}


def export_value(value, kind):
    """The raw value written to CSV/XLSX: numbers stay numbers."""
    if value is None:
        return None
    if kind == "text":
        return str(value)
    if kind == "month":
        return value.strftime("%Y-%m")
    if kind in ("int", "id"):
        return int(value)
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind == "pct":
        return round(float(value), 4)
    if kind == "p":
        return round(float(value), 6)
    return round(float(value), 2)
