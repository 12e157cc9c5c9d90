from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html

from ..tables import display, drill_url
from ..tables import duration as duration_text

register = template.Library()


@register.simple_tag(takes_context=True)
def cell(context, row, column):
    """A row's value for a column, formatted by the column's kind; a count links to its leads."""
    value = row.get(column.key)
    text = display(value, column.kind_for(row))
    if column.verbatim:
        return format_html('<span translate="no">{}</span>', text)
    figure = column.drill_figure(row)
    count = column.drill_count(row)
    if figure is None or value is None or count is None:
        return text
    return _link(context, figure, column.drill_dim(row), count, text)


def _link(context, figure, dim, count, text, title=""):
    return format_html(
        '<a href="{}" data-testid="drill" data-figure="{}" data-count="{}"{}>{}</a>',
        drill_url(context.get("querystring", ""), figure, dim),
        figure,
        count,
        format_html(' title="{}"', title) if title else "",
        text,
    )


@register.simple_tag(takes_context=True)
def drill(context, figure):
    """The drill-down URL of one of the page's total figures (the cards)."""
    return drill_url(context.get("querystring", ""), figure)


@register.simple_tag(takes_context=True)
def drill_link(context, figure, count, text=None, group_by=None, dim=None, title=""):
    """A figure of a card or a sentence as a link to its leads: `count` is what the list holds (a
    share's numerator), `text` what is shown (the count itself when not given)."""
    if count is None:
        return display(None, "int") if text is None else text
    shown = display(count, "int") if text is None else text
    return _link(context, figure, None if dim is None else (group_by, dim), count, shown, title)


@register.simple_tag
def my_link(figure, side, count, text=None):
    """One of the person's own figures on My stats as a link to their own leads behind it."""
    shown = display(count, "int") if text is None else text
    if count is None:
        return shown
    query = QueryDict(mutable=True)
    query.update({"figure": figure, "dim": side})
    return format_html(
        '<a href="{}?{}" data-testid="drill" data-figure="{}" data-count="{}">{}</a>',
        reverse("reports:my-leads"),
        query.urlencode(),
        figure,
        count,
        shown,
    )


@register.filter
def fmt(value, kind):
    return display(value, kind)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def duration(minutes):
    """Minutes as «4 ч 12 мин» / «3 дн 2 ч»."""
    return duration_text(minutes)


@register.filter
def points(share_difference, unsigned=""):
    """A difference of two shares in percentage points, signed ("+1,2", "−0,8") unless `unsigned`;
    "—" when unknown."""
    if share_difference is None:
        return "—"
    value = share_difference * 100
    text = f"{abs(value):.1f}".replace(".", ",")
    if unsigned:
        return text
    return f"+{text}" if value > 0.05 else f"−{text}" if value < -0.05 else text
