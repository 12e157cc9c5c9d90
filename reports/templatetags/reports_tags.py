from django import template

from ..tables import display
from ..tables import duration as duration_text

register = template.Library()


@register.simple_tag
def cell(row, column):
    """A row's value for a column, formatted by the column's kind."""
    return display(row.get(column.key), column.kind_for(row))


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
