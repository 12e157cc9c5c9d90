"""PBX notifications (docs/telephony.md): Mango Office at `pbx/mango/<account>/events/<kind>`, Zadarma at
`pbx/zadarma/<account>/`. Authenticated by the provider's signature with the account's secret, not by
our tokens; a refused signature or a replayed (stale) notification is 403, a malformed one 400, and
anything accepted is 200 — a redelivery included, which changes nothing (the PBX retries otherwise)."""

import logging

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from leadflow.api.base import MachineAPIView
from leadflow.models import PbxAccount
from leadflow.telephony import SignatureRefused, adapter_for

from ..services.pbx import pbx_event_apply

log = logging.getLogger("qualification.pbx")
MANGO_KINDS = ("call", "summary", "recording")


def _form(data):
    return data.dict() if hasattr(data, "dict") else dict(data)


def _check_lengths(event):
    """A signed but oversized field is refused as malformed, never cut (it would name another call)."""
    limits = {"call_id": 120, "command_id": 64, "extension": 20, "recording_ref": 200, "client_phone": 64}
    for name, limit in limits.items():
        if len(getattr(event, name) or "") > limit:
            raise ValueError(f"{name} longer than {limit}")


class PbxWebhookView(MachineAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = [FormParser, MultiPartParser]
    provider = ""

    def account(self, account_id):
        return get_object_or_404(PbxAccount, pk=account_id, provider=self.provider, is_active=True)

    def handle_event(self, request, account, *, path_kind=""):
        adapter = adapter_for(account)
        form = _form(request.data)
        try:
            adapter.verify_signature(body=b"", form=form, headers=request.headers, now=timezone.now())
        except SignatureRefused as exc:
            log.warning("PBX %s notification refused: %s", account.pk, exc)
            return Response({"detail": _("Signature refused.")}, status=status.HTTP_403_FORBIDDEN)
        try:
            event = adapter.parse_event(form=form, path_kind=path_kind)
            _check_lengths(event)
        except (ValueError, KeyError, TypeError, AttributeError):
            return Response({"detail": _("Malformed notification.")}, status=status.HTTP_400_BAD_REQUEST)
        call = pbx_event_apply(account=account, event=event)
        return Response({"ok": True, "state": call.state if call else None}, status=status.HTTP_200_OK)


class MangoEventView(PbxWebhookView):
    provider = PbxAccount.Provider.MANGO

    @extend_schema(exclude=True)
    def post(self, request, account_id, kind):
        account = self.account(account_id)
        if kind not in MANGO_KINDS:
            # Mango sends more notifications than we use (dtmf, sms…): accepted, ignored
            return Response({"ok": True, "state": None})
        return self.handle_event(request, account, path_kind=kind)


class ZadarmaEventView(PbxWebhookView):
    provider = PbxAccount.Provider.ZADARMA

    @extend_schema(exclude=True)
    def get(self, request, account_id):
        """Zadarma checks the address by `GET ?zd_echo=<x>` and expects <x> back."""
        self.account(account_id)
        return HttpResponse(request.GET.get("zd_echo", ""), content_type="text/plain")

    @extend_schema(exclude=True)
    def post(self, request, account_id):
        return self.handle_event(request, self.account(account_id))
