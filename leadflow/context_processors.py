from . import access, roles
from .models import Notification


def navigation(request):
    """Which sections the user's role opens, and the unread notification count for the bell.

    Computed once per request and kept on it: a template rendered inside the page with the request
    (django-tables2's `{% render_table %}` makes a new RequestContext) runs the context processors
    again, and the count is a query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_leadflow_navigation", None)
    if cached is not None and cached[0] is user:
        return cached[1]
    context = {
        "nav": {
            "queue": roles.has_role(user, roles.QUALIFIER, roles.QUALIFICATION_LEAD, roles.DIRECTOR),
            "board": roles.has_role(user, roles.SALES_REP, roles.SALES_MANAGER, roles.DIRECTOR),
            "today": roles.has_role(user, roles.SALES_REP, roles.SALES_MANAGER),
            "reports": access.may_view_reports(user),
            "reviews": access.may_review_calls(user),
            "my_reviews": roles.has_role(user, roles.QUALIFIER) and not user.is_superuser,
            "admin": user.is_staff,
            "two_factor": roles.can_use_two_factor(user),
        },
        "unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    }
    request._leadflow_navigation = (user, context)
    return context
