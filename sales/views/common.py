"""The shape shared by the deal board's views: who reaches the board, and every POST action's answer.

Who may do what to which deal is `leadflow.access`; domain refusals reach the person through
`leadflow.middleware.DomainErrorMiddleware`.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow import access, roles
from leadflow.exceptions import PermissionRefused
from leadflow.middleware import safe_next


def board_required(view):
    """Sales reps and managers; a qualifier is sent to the outcomes of their hand-offs."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if access.works_board(request.user):
            return view(request, *args, **kwargs)
        if roles.has_role(request.user, roles.QUALIFIER, roles.QUALIFICATION_LEAD):
            return redirect("sales:outcomes")
        raise PermissionRefused(_("The deal board is for the sales team."))

    return wrapped


def post_action(view):
    """A POST action: the view returns (success message, redirect url) or a response of its own (a form
    with errors); a refusal rises to the middleware (the 403 page, or a message on the page it came from).
    """

    @login_required
    @require_POST
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        result = view(request, *args, **kwargs)
        if not isinstance(result, tuple):
            return result
        message, url = result
        if message:
            messages.success(request, message)
        return redirect(safe_next(request, url))

    return wrapped
