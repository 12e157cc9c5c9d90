from django import template

from ..tables import display

register = template.Library()


@register.simple_tag
def cell(row, column):
    """A row's value for a column, formatted by the column's kind."""
    return display(row.get(column.key), column.kind)


@register.filter
def fmt(value, kind):
    return display(value, kind)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
