"""Click-to-call from the lead card and the queue row, and the call's live state on the card."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow import live
from leadflow.middleware import refusal_returns_to

from .. import selectors
from ..services.pbx import pbx_call_place
from .workspace import _visible_lead, queue_access

LIVE_POLL_SECONDS = 2


@queue_access
@require_POST
@refusal_returns_to("qualification:lead", "lead_id")
def call_place(request, lead_id):
    lead = _visible_lead(request, lead_id)
    pbx_call_place(lead_id=lead.pk, actor=request.user)
    messages.info(request, _("The PBX is ringing your phone; pick it up and it will call the client."))
    return redirect("qualification:lead", lead_id=lead.pk)


@queue_access
def call_live(request, lead_id):
    """The card's call panel (leadflow/live.py): polled while a call is on; when it ends the page reloads
    itself (HX-Refresh) to show the logged attempt and the stopped SLA."""
    lead = _visible_lead(request, lead_id)
    call = selectors.pbx_call_latest(lead_id=lead.pk)
    signature = selectors.pbx_call_signature(call)
    unchanged = live.unchanged(request, signature)
    if unchanged is not None:
        return unchanged
    response = render(
        request,
        "qualification/_pbx_call.html",
        {"lead": lead, "pbx_call": call, "pbx_sig": signature, "live_poll_seconds": LIVE_POLL_SECONDS},
    )
    if live.is_poll(request) and call is not None and call.state == call.State.ENDED:
        response["HX-Refresh"] = "true"
    return response
