"""A fake PBX for the tests and the bench, served on 127.0.0.1 by the test itself.

It speaks each provider's documented format both ways (docs/telephony.md): it receives our commands
(Mango's form-encoded signed `commands/callback`, Zadarma's `GET /v1/request/callback/` with its
Authorization header), checks their signatures like the real one would, keeps them for the test to
read, serves a recording file, and builds the signed notifications a real call produces."""

import hashlib
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from leadflow.telephony.mango import mango_sign
from leadflow.telephony.zadarma import api_authorization, event_signature_text, zadarma_sign

RECORDING = b"ID3\x03\x00fake-mp3-audio" + bytes(range(64))
MANGO_KEY, MANGO_SALT = "mango-key-123456", "mango-salt-abcdef"
ZADARMA_KEY, ZADARMA_SECRET = "zd-key-123456", "zd-secret-abcdef"


@dataclass
class FakePbx:
    commands: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    recording_failures: int = 0  # the next N recording downloads answer 503 (a PBX having a bad minute)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        pbx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # Mango: form-encoded vpbx_api_key, sign, json
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                good = form.get("vpbx_api_key") == MANGO_KEY and form.get("sign") == mango_sign(
                    MANGO_KEY, form.get("json", ""), MANGO_SALT
                )
                if not good:
                    pbx.refused.append((self.path, form))
                    return self._send(200, {"result": 3102})  # Mango: wrong sign
                payload = json.loads(form["json"])
                if self.path.endswith("/commands/callback"):
                    pbx.commands.append(("mango", "callback", payload, form))
                    return self._send(200, {"result": 1000})
                if self.path.endswith("/queries/recording/post"):
                    pbx.commands.append(("mango", "recording", payload, form))
                    if pbx.take_failure():
                        return self._send(503, {"result": 5000})
                    return self._send(200, RECORDING, "audio/mpeg")
                return self._send(404, {"result": 4001})

            def do_GET(self):  # Zadarma: GET /v1/<method>/?params with Authorization key:sign
                path, _sep, query = self.path.partition("?")
                if path == "/files/rec.mp3":
                    if pbx.take_failure():
                        return self._send(503, b"busy", "text/plain")
                    return self._send(200, RECORDING, "audio/mpeg")
                params = dict(urllib.parse.parse_qsl(query))
                expected = api_authorization(ZADARMA_KEY, ZADARMA_SECRET, path, params)
                if self.headers.get("Authorization") != expected:
                    pbx.refused.append((path, params))
                    return self._send(401, {"status": "error", "message": "Not authorized"})
                if path == "/v1/request/callback/":
                    pbx.commands.append(("zadarma", "callback", params, dict(self.headers)))
                    return self._send(200, {"status": "success", "from": params["from"], "to": params["to"]})
                if path == "/v1/pbx/record/request/":
                    pbx.commands.append(("zadarma", "recording", params, dict(self.headers)))
                    return self._send(200, {"status": "success", "link": f"{pbx.url}/files/rec.mp3"})
                return self._send(404, {"status": "error", "message": "unknown method"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def take_failure(self):
        if self.recording_failures > 0:
            self.recording_failures -= 1
            return True
        return False

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- notifications: what the PBX sends us for one call -----------------------------------------


def mango_form(payload: dict, *, key=MANGO_KEY, salt=MANGO_SALT):
    body = json.dumps(payload, ensure_ascii=False)
    return {"vpbx_api_key": key, "sign": mango_sign(key, body, salt), "json": body}


def mango_outbound_call(
    *, entry_id, extension, client, start: datetime, talk_after=10, talk_seconds=60, command_id="", answered=True
):
    """[(kind, payload)] of a click-to-call: our phone rings, the client's, they talk, it ends, it is recorded."""
    t0 = int(start.timestamp())
    ours, theirs = {"extension": extension}, {"number": client.lstrip("+")}
    events = [
        (
            "call",
            {
                "entry_id": entry_id,
                "call_id": f"{entry_id}-1",
                "timestamp": t0,
                "seq": 1,
                "call_state": "Appeared",
                "location": "abonent",
                "from": ours,
                "to": theirs,
                "command_id": command_id,
            },
        ),
    ]
    end = t0 + talk_after + (talk_seconds if answered else 0)
    if answered:
        events.append(
            (
                "call",
                {
                    "entry_id": entry_id,
                    "call_id": f"{entry_id}-1",
                    "timestamp": t0 + talk_after,
                    "seq": 2,
                    "call_state": "Connected",
                    "from": ours,
                    "to": theirs,
                    "command_id": command_id,
                },
            )
        )
    events += [
        (
            "call",
            {
                "entry_id": entry_id,
                "call_id": f"{entry_id}-1",
                "timestamp": end,
                "seq": 3,
                "call_state": "Disconnected",
                "from": ours,
                "to": theirs,
                "command_id": command_id,
                "disconnect_reason": 1110,
            },
        ),
        (
            "summary",
            {
                "entry_id": entry_id,
                "call_direction": 2,
                "from": ours,
                "to": theirs,
                "create_time": t0,
                "forward_time": t0,
                "talk_time": t0 + talk_after if answered else 0,
                "end_time": end,
                "entry_result": 1 if answered else 0,
                "disconnect_reason": 1110,
            },
        ),
    ]
    if answered:
        events.append(
            (
                "recording",
                {
                    "entry_id": entry_id,
                    "recording_id": f"rec-{entry_id}",
                    "recording_state": "Completed",
                    "extension": extension,
                    "timestamp": end + 5,
                },
            )
        )
    return events


def mango_missed_inbound(*, entry_id, client, extension, start: datetime):
    t0 = int(start.timestamp())
    theirs, ours = {"number": client.lstrip("+")}, {"extension": extension}
    return [
        (
            "call",
            {
                "entry_id": entry_id,
                "call_id": f"{entry_id}-1",
                "timestamp": t0,
                "seq": 1,
                "call_state": "Appeared",
                "from": theirs,
                "to": ours,
            },
        ),
        (
            "summary",
            {
                "entry_id": entry_id,
                "call_direction": 1,
                "from": theirs,
                "to": ours,
                "create_time": t0,
                "forward_time": t0,
                "talk_time": 0,
                "end_time": t0 + 20,
                "entry_result": 0,
            },
        ),
    ]


def zadarma_form_signed(form: dict, *, secret=ZADARMA_SECRET):
    return form, {"HTTP_SIGNATURE": zadarma_sign(event_signature_text(form), secret)}


def zadarma_outbound_call(
    *, pbx_call_id, extension, client, start: datetime, talk_seconds=60, answered=True, tz="Europe/Moscow"
):
    """[(form, headers)] of a click-to-call through Zadarma (NOTIFY_OUT_START, NOTIFY_OUT_END, NOTIFY_RECORD)."""
    call_start = start.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    rec = f"{pbx_call_id}-rec"
    events = [
        {
            "event": "NOTIFY_OUT_START",
            "call_start": call_start,
            "pbx_call_id": pbx_call_id,
            "internal": extension,
            "destination": client.lstrip("+"),
        },
        {
            "event": "NOTIFY_OUT_END",
            "call_start": call_start,
            "pbx_call_id": pbx_call_id,
            "internal": extension,
            "destination": client.lstrip("+"),
            "caller_id": "74950000000",
            "duration": str(talk_seconds if answered else 0),
            "disposition": "answered" if answered else "no answer",
            "status_code": "16",
            "is_recorded": "1" if answered else "0",
            "call_id_with_rec": rec if answered else "",
        },
    ]
    if answered:
        events.append({"event": "NOTIFY_RECORD", "pbx_call_id": pbx_call_id, "call_id_with_rec": rec})
    return [zadarma_form_signed(form) for form in events]


def zadarma_missed_inbound(*, pbx_call_id, client, start: datetime, tz="Europe/Moscow"):
    call_start = start.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    base = {
        "call_start": call_start,
        "pbx_call_id": pbx_call_id,
        "caller_id": client.lstrip("+"),
        "called_did": "74950000000",
    }
    return [
        zadarma_form_signed({"event": "NOTIFY_START", **base}),
        zadarma_form_signed(
            {
                "event": "NOTIFY_END",
                **base,
                "internal": "",
                "duration": "0",
                "disposition": "no answer",
                "status_code": "19",
                "is_recorded": "0",
                "call_id_with_rec": "",
            }
        ),
    ]


def sha256(data: bytes):
    return hashlib.sha256(data).hexdigest()


def deliver(url, form: dict, headers: dict | None = None):
    """Send one notification the way the PBX does: a form-encoded POST to our address (status code)."""
    import urllib.request

    data = urllib.parse.urlencode(form).encode()
    plain_headers = {key.removeprefix("HTTP_").title(): value for key, value in (headers or {}).items()}
    request = urllib.request.Request(url, data=data, headers=plain_headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (the test's own live server)
        return response.status
