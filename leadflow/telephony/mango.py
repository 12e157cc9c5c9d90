"""Mango Office VPBX (docs/telephony.md, "Mango Office").

Both ways the body is form-encoded `vpbx_api_key`, `sign`, `json`, with
`sign = sha256_hex(vpbx_api_key + json + vpbx_api_salt)`. Our commands go to `<base>/commands/…`;
the PBX notifies `<our URL>/events/call`, `/events/summary` and `/events/recording`."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import http
from .base import CallPlacement, EventKind, PbxAdapter, PbxError, PbxEvent, SignatureRefused

DEFAULT_BASE_URL = "https://app.mango-office.ru/vpbx/"
RESULT_OK = 1000
CALL_STATES = {"Appeared": EventKind.RINGING, "Connected": EventKind.TALKING, "Disconnected": EventKind.ENDED}
DIRECTIONS = {1: "inbound", 2: "outbound"}  # events/summary call_direction; 0 is an internal call


def mango_sign(key: str, payload: str, salt: str) -> str:
    return hashlib.sha256(f"{key}{payload}{salt}".encode()).hexdigest()


def _at(value):
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None


class MangoAdapter(PbxAdapter):
    provider = "mango"
    label = gettext_lazy("Mango Office")

    @property
    def base_url(self):
        return (self.account.base_url or DEFAULT_BASE_URL).rstrip("/") + "/"

    def signed_form(self, payload: dict) -> dict:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        key, salt = self.account.api_key, self.account.api_secret
        return {"vpbx_api_key": key, "sign": mango_sign(key, body, salt), "json": body}

    def place_call(self, *, extension, client_phone, command_id):
        payload = {"command_id": command_id, "from": {"extension": extension}, "to_number": client_phone.lstrip("+")}
        _status, body, _headers = http.request(
            "POST", self.base_url + "commands/callback", data=self.signed_form(payload)
        )
        try:
            result = int(json.loads(body or b"{}").get("result", 0))
        except (ValueError, TypeError, AttributeError):
            result = 0
        if result != RESULT_OK:
            raise PbxError(_("Mango Office refused the call (code %(code)s).") % {"code": result or "?"})
        return CallPlacement(command_id=command_id)

    def verify_signature(self, *, body, form, headers, now):
        key, sign, payload = form.get("vpbx_api_key", ""), form.get("sign", ""), form.get("json", "")
        if not (key and sign and payload):
            raise SignatureRefused("vpbx_api_key, sign and json are required")
        if not hmac.compare_digest(key, self.account.api_key):
            raise SignatureRefused("another vpbx_api_key")
        if not hmac.compare_digest(sign.lower(), mango_sign(key, payload, self.account.api_secret)):
            raise SignatureRefused("bad sign")
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise SignatureRefused("json is not JSON") from exc
        # the sign carries no nonce: a notification is fresh by its own time (a replay of an old one is refused)
        at = (_at(data.get("timestamp")) or _at(data.get("end_time"))) if isinstance(data, dict) else None
        max_age = timedelta(minutes=settings.PBX_EVENT_MAX_AGE_MINUTES)
        if at is None or not (now - max_age <= at <= now + timedelta(minutes=10)):
            raise SignatureRefused("stale or undated notification")

    def parse_event(self, *, form, path_kind=""):
        data = json.loads(form["json"])
        if not isinstance(data, dict):
            raise ValueError("json must be an object")
        if path_kind == "call":
            return self._call(data)
        if path_kind == "summary":
            return self._summary(data)
        if path_kind == "recording":
            done = data.get("recording_state") == "Completed" and data.get("recording_id")
            return PbxEvent(
                kind=EventKind.RECORDING if done else EventKind.IGNORED,
                call_id=str(data.get("entry_id", "")),
                at=_at(data.get("timestamp")),
                extension=str(data.get("extension", "")),
                recording_ref=str(data.get("recording_id", "")),
                raw=data,
            )
        raise ValueError(f"unknown Mango notification {path_kind!r}")

    @staticmethod
    def _sides(data):
        """(direction, client number, our extension) from `from` / `to`: the side with an extension is ours."""
        caller, callee = data.get("from") or {}, data.get("to") or {}
        if caller.get("extension") and not callee.get("extension"):
            return "outbound", str(callee.get("number", "")), str(caller["extension"])
        if callee.get("extension") and not caller.get("extension"):
            return "inbound", str(caller.get("number", "")), str(callee["extension"])
        return "", "", str(caller.get("extension") or callee.get("extension") or "")

    def _call(self, data):
        kind = CALL_STATES.get(data.get("call_state"), EventKind.IGNORED)
        direction, client, extension = self._sides(data)
        return PbxEvent(
            kind=kind,
            call_id=str(data.get("entry_id", "")),
            at=_at(data.get("timestamp")),
            direction=direction,
            client_phone=client,
            extension=extension,
            command_id=str(data.get("command_id", "")),
            raw=data,
        )

    def _summary(self, data):
        direction = DIRECTIONS.get(_int(data.get("call_direction")))
        if direction is None:
            return PbxEvent(kind=EventKind.IGNORED, call_id=str(data.get("entry_id", "")), raw=data)
        _direction, client, extension = self._sides(data)
        talk, end = _at(data.get("talk_time")), _at(data.get("end_time"))
        return PbxEvent(
            kind=EventKind.ENDED,
            call_id=str(data.get("entry_id", "")),
            at=end,
            direction=direction,
            client_phone=client,
            extension=extension,
            started_at=_at(data.get("create_time")),
            answered=talk is not None,
            talk_seconds=max(0, int((end - talk).total_seconds())) if talk and end else 0,
            raw=data,
        )

    def fetch_recording(self, *, recording_ref):
        form = self.signed_form({"recording_id": recording_ref, "action": "download"})
        _status, body, _headers = http.request(
            "POST", self.base_url + "queries/recording/post", data=form, retries=http.READ_RETRIES
        )
        return body


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
