"""The measurement kit on a phone: the measurement page (its form posts to actions.measure) and the
photos, streamed from the storage only to the people who may see the deal (never a public URL)."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from leadflow import access
from leadflow.models import HandoffState, LeadStatus

from .. import kit as kit_reads
from ..forms import MeasurementForm
from ..models import MeasurementPhoto
from ..services.common import sales_team_of
from .common import board_required


def kit_for(lead):
    team = sales_team_of(lead)
    return kit_reads.active_kit(team_id=team.pk if team else None)


def measurement_form(lead, data=None, files=None):
    return MeasurementForm(data, files, kit=kit_for(lead))


def render_measurement(request, pk, *, form=None, status=200):
    """The measurement page of a deal; `form` bound with the typed values and their errors."""
    lead = access.deal_for_actor(lead_id=pk, actor=request.user)
    open_for_measurement = lead.status == LeadStatus.HANDED_OFF and lead.handoff_state != HandoffState.DISPUTED
    context = {
        "lead": lead,
        "form": (form or measurement_form(lead)) if open_for_measurement else None,
        "measured": lead.status != LeadStatus.HANDED_OFF,
        "max_photo_mb": settings.PHOTO_MAX_UPLOAD_MB,
        "page_title": _("Measurement: %(lead)s") % {"lead": lead.name or lead.phone},
    }
    return render(request, "sales/measurement.html", context, status=status)


@board_required
@require_GET
def measurement(request, pk):
    """ "Start the measurement": the kitchen's form for a phone (other pages link here by this name)."""
    return render_measurement(request, pk)


def _photo(request, pk):
    if not request.user.is_authenticated:
        raise Http404  # a photo's address tells an anonymous visitor nothing, not even that it exists
    photo = get_object_or_404(MeasurementPhoto.objects.select_related("lead"), pk=pk)
    access.ensure_may_see_deal_files(lead=photo.lead, actor=request.user)
    return photo


def _stream(file):
    try:
        handle = file.storage.open(file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
def photo(request, pk):
    return _stream(_photo(request, pk).image)


@require_GET
def photo_thumbnail(request, pk):
    return _stream(_photo(request, pk).thumbnail)
