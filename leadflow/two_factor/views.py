from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from leadflow import roles
from leadflow.exceptions import LeadflowError, OneTimeCodeRefused
from leadflow.middleware import safe_next
from leadflow.models import SecurityPolicy

from . import selectors, services
from .forms import OneTimeCodeForm, SecurityPolicyForm


def _eligible_only(user):
    """Qualifiers and reps never see any of it: to them these pages do not exist."""
    if not roles.can_use_two_factor(user):
        raise Http404


@never_cache
@login_required
def setup(request):
    _eligible_only(request.user)
    return _render_setup(request, OneTimeCodeForm())


def _render_setup(request, form, status=200):
    context = {
        "page_title": _("Two-factor sign-in"),
        "status": selectors.two_factor_status(request.user),
        "form": form,
        "can_set_policy": roles.can_set_security_policy(request.user),
    }
    if context["can_set_policy"]:
        policy = SecurityPolicy.current()
        context["policy_form"] = SecurityPolicyForm(
            initial={"require_2fa_for_managers": policy.require_2fa_for_managers}
        )
    return render(request, "two_factor/setup.html", context, status=status)


@require_POST
@login_required
def start(request):
    _eligible_only(request.user)
    try:
        services.two_factor_start(user=request.user)
    except LeadflowError as error:
        messages.error(request, error.message)
    return redirect("two_factor:setup")


@never_cache
@require_POST
@login_required
def confirm(request):
    _eligible_only(request.user)
    form = OneTimeCodeForm(request.POST)
    if form.is_valid():
        try:
            device, codes = services.two_factor_confirm(user=request.user, token=form.cleaned_data["token"])
        except LeadflowError as error:
            form.add_error("token", error.message)
        else:
            # the code just given is this session's second factor
            request.session.cycle_key()
            otp_login(request, device)
            return render(request, "two_factor/backup_codes.html", {"page_title": _("Backup codes"), "codes": codes})
    return _render_setup(request, form, status=400)


@require_POST
@login_required
def disable(request):
    _eligible_only(request.user)
    form = OneTimeCodeForm(request.POST)
    if form.is_valid():
        try:
            services.two_factor_disable(user=request.user, token=form.cleaned_data["token"])
        except LeadflowError as error:
            form.add_error("token", error.message)
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("two_factor:setup")
    return _render_setup(request, form, status=400)


@require_POST
@login_required
def policy(request):
    if not roles.can_set_security_policy(request.user):
        raise Http404
    form = SecurityPolicyForm(request.POST)
    if form.is_valid():
        required = form.cleaned_data["require_2fa_for_managers"]
        try:
            services.security_policy_update(actor=request.user, require_2fa_for_managers=required)
        except LeadflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Two-factor sign-in is now required for managers, directors and admins.")
                if required
                else _("Two-factor sign-in is now optional."),
            )
    return redirect("two_factor:setup")


@never_cache
@login_required
def verify(request):
    """The second step of signing in: the password is done, the code is asked."""
    next_url = safe_next(request, resolve_url("home"))
    if selectors.two_factor_gate(request.user) != selectors.GATE_VERIFY or request.user.is_verified():
        return redirect(next_url)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=request.user, token=form.cleaned_data["token"])
        except OneTimeCodeRefused as error:
            form.add_error("token", error.message)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            return redirect(next_url)
    context = {"page_title": _("Enter the code"), "form": form, "next": next_url}
    return render(request, "two_factor/verify.html", context, status=400 if form.errors else 200)
