"""Zadarma (docs/telephony.md, "Zadarma").

Our commands: `GET <base>/v1/request/callback/?from=<extension>&to=<client>&format=json` with
`Authorization: <key>:<sign>`, `sign = base64(hex(hmac_sha1(secret, method + query + md5(query))))`
over the parameters sorted by name. Its notifications: form-encoded POSTs with a `Signature` header,
`base64(hex(hmac_sha1(secret, <the event's own fields>)))`; the URL is verified by `GET ?zd_echo=…`."""

import base64
import hashlib
import hmac
import json
import urllib.parse
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import http
from .base import CallPlacement, EventKind, PbxAdapter, PbxError, PbxEvent, SignatureRefused

DEFAULT_BASE_URL = "https://api.zadarma.com"
CALLBACK_METHOD = "/v1/request/callback/"
RECORD_METHOD = "/v1/pbx/record/request/"
# which fields each notification signs, in order (the provider's documentation, "Signature")
SIGNED_FIELDS = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}


def zadarma_sign(text: str, secret: str) -> str:
    """base64 of the hexadecimal HMAC-SHA1 (PHP's hash_hmac returns hex, and that string is encoded)."""
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def api_authorization(key: str, secret: str, method: str, params: dict) -> str:
    query = urllib.parse.urlencode(sorted(params.items()))
    return f"{key}:{zadarma_sign(method + query + hashlib.md5(query.encode()).hexdigest(), secret)}"  # noqa: S324


def event_signature_text(form) -> str:
    return "".join(str(form.get(name, "")) for name in SIGNED_FIELDS.get(form.get("event", ""), ()))


class ZadarmaAdapter(PbxAdapter):
    provider = "zadarma"
    label = gettext_lazy("Zadarma")

    @property
    def base_url(self):
        return (self.account.base_url or DEFAULT_BASE_URL).rstrip("/")

    def _get(self, method, params, *, retries=0):
        params = {**params, "format": "json"}
        headers = {"Authorization": api_authorization(self.account.api_key, self.account.api_secret, method, params)}
        url = f"{self.base_url}{method}?{urllib.parse.urlencode(sorted(params.items()))}"
        _status, body, _headers = http.request("GET", url, headers=headers, retries=retries)
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            answer = {}
        if answer.get("status") != "success":
            raise PbxError(_("Zadarma refused: %(message)s") % {"message": answer.get("message") or "?"})
        return answer

    def place_call(self, *, extension, client_phone, command_id):
        # request/callback names no call id: the call is matched by extension and number (docs/telephony.md)
        self._get(CALLBACK_METHOD, {"from": extension, "to": client_phone.lstrip("+")})
        return CallPlacement(command_id=command_id)

    def local_time(self, value):
        """call_start is "YYYY-MM-DD HH:MM:SS" in the account's time zone (assumed; docs/telephony.md)."""
        try:
            naive = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
        return naive.replace(tzinfo=zoneinfo.ZoneInfo(self.account.timezone or "Europe/Moscow"))

    def verify_signature(self, *, body, form, headers, now):
        event = form.get("event", "")
        signature = headers.get("Signature") or headers.get("signature") or ""
        if event not in SIGNED_FIELDS or not signature:
            raise SignatureRefused("unsigned or unknown event")
        expected = zadarma_sign(event_signature_text(form), self.account.api_secret)
        if not hmac.compare_digest(signature, expected):
            raise SignatureRefused("bad Signature")
        if "call_start" in SIGNED_FIELDS[event]:
            # the signature has no nonce: an event is fresh by its signed call_start (a replay of an old one is refused)
            at = self.local_time(form.get("call_start"))
            max_age = timedelta(minutes=settings.PBX_EVENT_MAX_AGE_MINUTES)
            if at is None or not (now - max_age <= at <= now + timedelta(minutes=10)):
                raise SignatureRefused("stale call_start")

    def parse_event(self, *, form, path_kind=""):
        event = form.get("event", "")
        call_id = str(form.get("pbx_call_id", ""))
        started = self.local_time(form.get("call_start"))
        if event == "NOTIFY_RECORD":
            return PbxEvent(
                kind=EventKind.RECORDING, call_id=call_id, recording_ref=str(form.get("call_id_with_rec", ""))
            )
        if event in ("NOTIFY_START", "NOTIFY_END"):
            direction, client, extension = "inbound", form.get("caller_id", ""), form.get("internal", "")
        elif event in ("NOTIFY_OUT_START", "NOTIFY_OUT_END"):
            direction, client, extension = "outbound", form.get("destination", ""), form.get("internal", "")
        elif event == "NOTIFY_ANSWER":
            return PbxEvent(kind=EventKind.TALKING, call_id=call_id, at=started, extension=form.get("internal", ""))
        else:
            return PbxEvent(kind=EventKind.IGNORED, call_id=call_id)
        if event.endswith("_START"):
            return PbxEvent(
                kind=EventKind.RINGING,
                call_id=call_id,
                at=started,
                direction=direction,
                client_phone=client,
                extension=extension,
                started_at=started,
            )
        answered = form.get("disposition") == "answered"
        try:
            duration = max(0, int(form.get("duration") or 0))
        except ValueError:
            duration = 0
        recorded = form.get("is_recorded") == "1" and form.get("call_id_with_rec")
        return PbxEvent(
            kind=EventKind.ENDED,
            call_id=call_id,
            at=started + timedelta(seconds=duration) if started else None,
            direction=direction,
            client_phone=client,
            extension=extension,
            started_at=started,
            answered=answered,
            talk_seconds=duration if answered else 0,
            # the file needs ~40 s after NOTIFY_END; NOTIFY_RECORD says when it is ready
            recording_ref=str(form.get("call_id_with_rec", "")) if recorded else "",
        )

    def fetch_recording(self, *, recording_ref):
        answer = self._get(RECORD_METHOD, {"call_id": recording_ref}, retries=http.READ_RETRIES)
        link = answer.get("link") or (answer.get("links") or [""])[0]
        if not link:
            raise PbxError(_("Zadarma gave no link to the recording."))
        _status, body, _headers = http.request("GET", link, retries=http.READ_RETRIES)
        return body
