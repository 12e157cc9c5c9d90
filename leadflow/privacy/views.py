"""The public privacy policy page and the director's personal data requests (152-ФЗ).

The phone travels in POST bodies only, so it never lands in URLs, access logs or browser history.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .. import access
from ..phones import format_phone
from ..ratelimit import client_ip
from . import selectors, services
from .forms import ErasureForm, PhoneLookupForm


def policy(request):
    """The text the intake form's consent links to (unless PRIVACY_POLICY_URL points elsewhere)."""
    context = {
        "page_title": _("Personal data processing policy"),
        "operator": settings.PRIVACY_OPERATOR_NAME,
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "version": settings.PRIVACY_POLICY_VERSION,
        "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
    }
    return render(request, "leadflow/privacy_policy.html", context)


@never_cache
@login_required
def requests_page(request):
    """Find a person by phone: what we hold, export it, erase it. POST = the lookup (the phone stays out of URLs)."""
    access.ensure_may_handle_personal_data(request.user)
    form = PhoneLookupForm(request.POST if request.method == "POST" else None)
    return _render_requests(request, form)


@never_cache
@login_required
@require_POST
def export(request):
    access.ensure_may_handle_personal_data(request.user)
    form = PhoneLookupForm(request.POST)
    if not form.is_valid():
        return _render_requests(request, form)
    phone = form.cleaned_data["phone"]
    data = services.personal_data_export(phone=phone, actor=request.user, ip=_ip(request))
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2})
    filename = f"personal-data-{phone.lstrip('+')}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_POST
def erase(request):
    access.ensure_may_handle_personal_data(request.user)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        return _render_requests(request, PhoneLookupForm(request.POST), erasure_form=form)
    phone = form.cleaned_data["phone"]
    count = services.personal_data_erase(phone=phone, actor=request.user, ip=_ip(request))
    messages.success(
        request,
        _("The personal data of %(phone)s was erased from %(count)s leads.")
        % {"phone": format_phone(phone), "count": count},
    )
    return redirect("privacy:requests")


def _render_requests(request, form, erasure_form=None):
    context = {"page_title": _("Personal data requests"), "form": form, "leads": None}
    if form.is_bound and form.is_valid():
        phone = form.cleaned_data["phone"]
        context.update(
            phone=phone,
            phone_display=format_phone(phone),
            leads=selectors.leads_of_phone(phone),
            erasure_form=erasure_form or ErasureForm(initial={"phone": phone}),
        )
    return render(request, "leadflow/privacy_requests.html", context)


def _ip(request):
    return client_ip(request, getattr(settings, "INTAKE_CLIENT_IP_HEADER", None))
