from . import access, roles
from .models import Notification


def navigation(request):
    """Which sections the user's role opens, and the unread notification count for the bell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
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
