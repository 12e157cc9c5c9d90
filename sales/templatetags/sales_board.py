from decimal import Decimal, InvalidOperation

from django import template

from leadflow import roles
from leadflow.people import display_name

register = template.Library()


@register.filter
def can_arbitrate(user):
    return roles.can_arbitrate(None, user)


@register.filter
def money(value):
    """Roubles without kopecks, thousands split by a narrow no-break space: 350 000 ₽."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"{amount:,.0f}".replace(",", "\u202f") + "\u00a0₽"


@register.filter
def person(user):
    if user is None:
        return "—"
    return display_name(user)


@register.filter
def answer_text(answer):
    from ..selectors import answer_display

    return answer_display(answer)


@register.filter
def event_label(code):
    """A history row's event as people read it: the one LeadEvent vocabulary, never the raw code."""
    from leadflow.models import LeadEvent

    return LeadEvent.label_of(code)
