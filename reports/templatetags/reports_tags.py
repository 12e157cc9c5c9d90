from django import template
from django.utils.html import format_html

from ..tables import display, drill_url
from ..tables import duration as duration_text

register = template.Library()


@register.simple_tag(takes_context=True)
def cell(context, row, column):
    """A row's value for a column, formatted by the column's kind; a count links to its leads."""
    value = row.get(column.key)
    text = display(value, column.kind_for(row))
    figure = column.drill_figure(row)
    if figure is None or value is None:
        return text
    return format_html(
        '<a href="{}" data-testid="drill" data-figure="{}">{}</a>',
        drill_url(context.get("querystring", ""), figure, row["dim"]),
        figure,
        text,
    )


@register.simple_tag(takes_context=True)
def drill(context, figure):
    """The drill-down URL of one of the page's total figures (the cards)."""
    return drill_url(context.get("querystring", ""), figure)


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
