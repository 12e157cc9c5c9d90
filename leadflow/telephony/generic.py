"""Our own JSON webhook (`POST /api/v1/calls/`, docs/api.md) as an adapter.

It authenticates by a telephony token (leadflow.api.authentication), not by a signature, and one
event tells the whole finished call; it cannot place calls (no PBX behind it to ask)."""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import EventKind, PbxAdapter, PbxError, PbxEvent


class GenericAdapter(PbxAdapter):
    provider = "generic"
    label = gettext_lazy("Generic webhook")

    def place_call(self, *, extension, client_phone, command_id):
        raise PbxError(_("The generic webhook cannot place calls: dial the number yourself."))

    def verify_signature(self, *, body, form, headers, now):
        """Authenticated by its token before this point (MachineAPIView)."""

    def parse_event(self, *, form, path_kind=""):
        inbound = form.get("direction") == "inbound"
        started = parse_datetime(str(form.get("started_at", "")))
        return PbxEvent(
            kind=EventKind.ENDED,
            call_id=str(form.get("event_id", "")),
            at=started,
            direction="inbound" if inbound else "outbound",
            client_phone=str(form.get("caller" if inbound else "callee", "")),
            extension=str(form.get("operator", "")),
            started_at=started,
            answered=bool(form.get("answered")),
            talk_seconds=int(form.get("duration") or 0),
        )

    def fetch_recording(self, *, recording_ref):
        raise PbxError(_("The generic webhook delivers no recordings."))
