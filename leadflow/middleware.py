"""The one boundary between domain errors and the web (Zulip handles its JsonableError the same way).

A view calls services and lets their refusals rise: `PermissionRefused` becomes the 403 page with its
reason, `LeadNotFound` the 404 page, and any other `LeadflowError` of a POST a message on the page the
person came from (their form input is gone only where a view chose not to re-render the form). A view
that wants to show a refusal next to a form catches it itself.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .exceptions import LeadflowError, LeadNotFound, PermissionRefused


def _is_safe(request, url):
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next(request, default):
    """The `next` parameter when it points into this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    return target if _is_safe(request, target) else default


def back(request, default="home"):
    """Where a refused action returns: `next`, else the page it came from, else the view's
    `refusal_returns_to`, else `default`."""
    referer = request.META.get("HTTP_REFERER")
    fallback = getattr(request, "refusal_url", None) or default
    return safe_next(request, referer if _is_safe(request, referer) else fallback)


def refusal_returns_to(url_name, *arg_names):
    """Where a refused POST of this view lands when neither `next` nor the referring page says (the
    lead card for an action on a lead, say): `arg_names` are the view's keyword arguments for the URL."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.refusal_url = reverse(url_name, args=[kwargs[name] for name in arg_names])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LeadflowError):
            return None
        if isinstance(exception, PermissionRefused):
            raise PermissionDenied(str(exception.message)) from exception
        if isinstance(exception, LeadNotFound):
            raise Http404(str(exception.message)) from exception
        if request.method != "POST":
            return None  # a GET that a service refuses is a bug to see, not a message to hide
        messages.error(request, exception.message)
        return redirect(back(request))
