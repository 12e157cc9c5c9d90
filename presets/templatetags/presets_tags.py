"""{% setup_banner %} on the admin index: the director's way to the first-run wizard, prominent while the
installation has never been set up (no business profile applied, or no team or checklist)."""

from django import template

from leadflow import access
from leadflow.models import Team, Vertical
from qualification.models import Checklist

register = template.Library()


def needs_setup():
    return (
        not Vertical.objects.exists()
        or not Team.objects.filter(is_active=True).exists()
        or not Checklist.objects.filter(is_active=True).exists()
    )


@register.inclusion_tag("presets/_setup_banner.html", takes_context=True)
def setup_banner(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not access.may_set_up(user):
        return {"show": False}
    from leadflow import vertical

    return {"show": True, "needed": needs_setup(), "profile": vertical.current()}
