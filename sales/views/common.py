"""Access rules and the shape shared by every POST action of the deal board."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow import roles
from leadflow.exceptions import LeadflowError, PermissionRefused


def can_work_board(user):
    return roles.has_role(user, roles.SALES_REP, roles.SALES_MANAGER, roles.DIRECTOR)


def is_board_manager(user):
    return roles.has_role(user, roles.SALES_MANAGER, roles.DIRECTOR)


def may_work_deal(user, lead):
    return is_board_manager(user) or (lead.sales_rep_id is not None and lead.sales_rep_id == user.pk)


def forbidden(request, message):
    return render(request, "sales/forbidden.html", {"message": message, "page_title": _("Access denied")}, status=403)


def _is_safe(request, url):
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})


def safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    return target if _is_safe(request, target) else default


def back(request):
    """Where a refused action returns: `next`, else the page it came from, else the board."""
    referer = request.META.get("HTTP_REFERER")
    return safe_next(request, referer if _is_safe(request, referer) else "sales:index")


def board_required(view):
    """Sales reps and managers; a qualifier is sent to the outcomes of their hand-offs."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if can_work_board(request.user):
            return view(request, *args, **kwargs)
        if roles.has_role(request.user, roles.QUALIFIER, roles.QUALIFICATION_LEAD):
            return redirect("sales:outcomes")
        return forbidden(request, _("The deal board is for the sales team."))

    return wrapped


def post_action(view):
    """A POST action: domain refusals become a message (or a 403 page), never a 500.

    The view returns (success message, redirect url) or a response of its own (a form with errors).
    """

    @login_required
    @require_POST
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            result = view(request, *args, **kwargs)
        except PermissionRefused as exc:
            return forbidden(request, exc.message)
        except LeadflowError as exc:
            messages.error(request, exc.message)
            return redirect(back(request))
        if not isinstance(result, tuple):
            return result
        message, url = result
        if message:
            messages.success(request, message)
        return redirect(safe_next(request, url))

    return wrapped
