from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors import GATE_SETUP, GATE_VERIFY, two_factor_gate

# Reachable by a session held at the code step / at the forced setup (besides signing in and out).
ALWAYS_OPEN = {"login", "logout", "set_language", "healthz"}
OPEN_AT = {
    GATE_VERIFY: ALWAYS_OPEN | {"two_factor:verify"},
    GATE_SETUP: ALWAYS_OPEN | {"two_factor:setup", "two_factor:start", "two_factor:confirm"},
}


class TwoFactorGateMiddleware:
    """A signed-in user who has a second factor reaches nothing but the code page (and logout) until the
    session passes it (request.user.is_verified(), django-otp); one whom the director's policy requires to
    have one reaches nothing but the setup page. The admin included. Sessions of users with neither —
    qualifiers, reps, force_login in tests — pass untouched. Must come after OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None  # the API authenticates each request by its token, never by the session
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        gate = two_factor_gate(user)
        if gate is None or request.resolver_match.view_name in OPEN_AT[gate]:
            return None
        if gate == GATE_VERIFY:
            url = reverse("two_factor:verify")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return redirect("two_factor:setup")
