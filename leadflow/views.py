import logging

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from . import access, roles, services
from .forms import IntakeForm
from .middleware import safe_next
from .models import SLA_ENGINE, Notification, Source
from .privacy.selectors import privacy_policy
from .ratelimit import client_ip, hit
from .search import phone_query
from .selectors import EngineStatus, engine_status, lead_search_results

log = logging.getLogger(__name__)


@login_required
def home(request):
    """Send each role to where it works."""
    user = request.user
    if roles.has_role(user, roles.QUALIFIER, roles.QUALIFICATION_LEAD) and not user.is_superuser:
        return redirect("qualification:index")
    if roles.has_role(user, roles.SALES_MANAGER) and not user.is_superuser:
        return redirect("sales:index")
    if roles.has_role(user, roles.SALES_REP) and not user.is_superuser:
        return redirect("sales:today")  # a rep's day starts with today's visits (docs/decisions.md)
    if access.may_view_reports(user):
        return redirect("reports:index")
    return render(request, "leadflow/home.html", {"page_title": _("Welcome")})


@never_cache
def healthz(request):
    """200 when the database and the broker answer and the SLA engine swept within
    SLA_ENGINE_STALE_SECONDS; 503 naming what is down. The engine's detail says since when."""
    database = _check_database()
    checks = {"database": database, "broker": _check_broker()}
    engine = _check_sla_engine() if database else None  # without the database we cannot tell
    checks[SLA_ENGINE] = engine.ok if engine is not None else None
    down = [name for name, ok in checks.items() if ok is False]
    body = {
        "status": "ok" if not down else "down",
        "checks": {k: {True: "ok", False: "down", None: "unknown"}[v] for k, v in checks.items()},
    }
    if engine is not None:
        body[SLA_ENGINE] = {
            "last_sweep": engine.beat_at.isoformat() if engine.beat_at else None,
            "stopped_since": engine.since.isoformat() if engine.since else None,
            "stale_after_seconds": settings.SLA_ENGINE_STALE_SECONDS,
        }
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


def _check_sla_engine():
    try:
        status = engine_status(name=SLA_ENGINE)
    except Exception:
        log.exception("healthz: could not read the SLA engine's heartbeat")
        return EngineStatus(name=SLA_ENGINE, ok=False, beat_at=None, since=None)  # never green by default
    if not status.ok:
        log.error("healthz: the SLA engine has not swept since %s", status.since)
    return status


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        log.exception("healthz: database down")
        return False


def _check_broker():
    from leadflow.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        log.warning("healthz: broker down", exc_info=True)
        return False


@login_required
def search(request):
    """One search box for every role: the leads the person may see, open and closed."""
    text = request.GET.get("q", "").strip()[:100]
    found = lead_search_results(user=request.user, text=text) if text else None
    context = {
        "q": text,
        "found": found,
        "phone": phone_query(text).e164 if text else "",
        "links": {"card": access.works_queue(request.user) or access.is_director(request.user)},
        "page_title": _("Search"),
    }
    return render(request, "leadflow/search.html", context)


@login_required
def notification_list(request):
    qs = Notification.objects.filter(recipient=request.user).select_related("lead").order_by("-created_at")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "leadflow/notifications.html", {"page_obj": page, "page_title": _("Notifications")})


@login_required
@require_POST
def notification_mark_read(request):
    ids = request.POST.getlist("id") or None
    services.notifications_mark_read(recipient=request.user, ids=ids)
    # only a page of this site: `next` comes from the form, so anything else is an open redirect
    return redirect(safe_next(request, "notifications"))


@xframe_options_exempt
@csp_replace({"frame-ancestors": settings.INTAKE_FRAME_ANCESTORS})
@csrf_protect
def intake_form(request):
    """The public, embeddable lead form (source "website"), rate-limited per client IP."""
    if request.method == "GET" and request.GET.get("sent"):
        return render(request, "leadflow/intake_done.html", {"page_title": _("Thank you!")})
    if request.method != "POST":
        initial = {key: request.GET.get(key, "")[:200] for key in ("utm_source", "utm_medium", "utm_campaign")}
        return _intake_page(request, IntakeForm(initial=initial))

    form = IntakeForm(request.POST)
    ip = client_ip(request, getattr(settings, "INTAKE_CLIENT_IP_HEADER", None))
    if not hit("intake-form", ip, settings.INTAKE_FORM_RATE):
        # keep what the person typed, without showing validation errors for a form we did not check
        kept = {key: value for key, value in request.POST.items() if key in IntakeForm.base_fields}
        kept.pop(IntakeForm.HONEYPOT, None)
        return _intake_page(request, IntakeForm(initial=kept), status=429, rate_limited=True)
    if form.is_spam():
        log.info("intake form: honeypot filled from %s, nothing saved", ip)
        return redirect(f"{request.path}?sent=1")
    if not form.is_valid():
        return _intake_page(request, form)
    payload = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    services.lead_receive(
        source=Source.objects.get(code="website"),
        channel="form",
        payload=payload,
        consent_at=timezone.now(),
        consent_basis=_("consent ticked on the website form"),
        consent_policy=str(privacy_policy()),
        **form.lead_fields(),
    )
    return redirect(f"{request.path}?sent=1")


def _intake_page(request, form, status=200, **context):
    """The form with its consent linking to the privacy policy (152-ФЗ)."""
    context.update(form=form, privacy_policy=privacy_policy())
    return render(request, "leadflow/intake.html", context, status=status)
