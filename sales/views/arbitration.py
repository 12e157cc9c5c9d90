"""The arbitration queue of hand-off disputes (sales manager + qualification lead)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from leadflow import access
from qualification.selectors import call_recordings_of

from .. import kit, selectors, services
from ..forms import RejectForm, UpholdForm, disqualify_reasons
from ..models import Dispute
from .common import post_action


def _queue(request, *, bound=None, status=200):
    pending, decided = selectors.arbitration_queue(
        qualification_team_ids=access.arbitration_scope(request.user),
        sales_team_id=access.managed_sales_team_id(request.user),
    )
    bound = bound or {}
    reasons = disqualify_reasons()
    photos = kit.photos_of(dispute.lead_id for dispute in pending)
    recordings = call_recordings_of(
        {dispute.lead_id: dispute.lead.handed_off_at or dispute.raised_at for dispute in pending}
    )
    rows = [
        {
            "dispute": dispute,
            "uphold": bound.get(("uphold", dispute.pk)) or UpholdForm(prefix=f"u{dispute.pk}", reasons=reasons),
            "reject": bound.get(("reject", dispute.pk)) or RejectForm(prefix=f"r{dispute.pk}"),
            "answers": [(a.criterion.question, selectors.answer_display(a)) for a in dispute.lead.answers.all()],
            "photos": photos.get(dispute.lead_id, []),
            "recordings": recordings.get(dispute.lead_id, []),
        }
        for dispute in pending
    ]
    context = {"rows": rows, "decided": decided, "page_title": _("Arbitration of hand-off disputes")}
    return render(request, "sales/arbitration.html", context, status=status)


@login_required
def arbitration(request):
    access.ensure_arbiter(request.user)
    return _queue(request)


def _decide(request, pk, form_class, prefix, key):
    access.ensure_arbiter(request.user)
    dispute = get_object_or_404(Dispute.objects.select_related("lead"), pk=pk)
    form = form_class(request.POST, prefix=f"{prefix}{pk}")
    if not form.is_valid():
        return None, _queue(request, bound={(key, pk): form}, status=400)
    return (dispute, form), None


@post_action
def uphold(request, pk):
    decided, response = _decide(request, pk, UpholdForm, "u", "uphold")
    if response:
        return response
    dispute, form = decided
    services.dispute_uphold(
        dispute_id=pk,
        actor=request.user,
        note=form.cleaned_data["note"],
        disqualify_reason=form.cleaned_data["disqualify_reason"],
    )
    return _("Dispute upheld: %(lead)s counts against the qualifier.") % {"lead": dispute.lead}, reverse(
        "sales:arbitration"
    )


@post_action
def reject(request, pk):
    decided, response = _decide(request, pk, RejectForm, "r", "reject")
    if response:
        return response
    dispute, form = decided
    services.dispute_reject(dispute_id=pk, actor=request.user, note=form.cleaned_data["note"])
    return _("Dispute rejected: %(lead)s stays with the rep.") % {"lead": dispute.lead}, reverse("sales:arbitration")
