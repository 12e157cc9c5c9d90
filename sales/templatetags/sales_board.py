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
    """A history row's event as people read it (transitions and the board's own events)."""
    from django.utils.translation import gettext as _

    from leadflow.services import TRANSITION_LABELS

    labels = {
        "received": _("Received"),
        "repeat_inquiry": _("Repeat inquiry"),
        "call_attempt": _("Call"),
        "handoff_accepted": _("Hand-off accepted"),
        "handoff_disputed": _("Hand-off disputed"),
        "dispute_upheld": _("Dispute upheld"),
        "dispute_rejected": _("Dispute rejected"),
        "acceptance_overdue": _("Acceptance overdue"),
        "reassigned": _("Reassigned"),
        "visit_scheduled": _("Measurement booked"),
        "visit_rescheduled": _("Measurement rescheduled"),
        "visit_no_show": _("No-show"),
    }
    return labels.get(code) or TRANSITION_LABELS.get(code) or code
