"""The adapter interface and the provider-neutral event every adapter parses into."""

import enum
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _


class PbxError(Exception):
    """The PBX refused a command or could not be reached (message for the person who clicked)."""

    def __init__(self, message, *, retryable=False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class SignatureRefused(Exception):
    """A notification whose signature is missing or wrong, or an old one sent again (a replay)."""


class EventKind(enum.StrEnum):
    RINGING = "ringing"  # the call appeared (our extension or the client is ringing)
    TALKING = "talking"  # both sides connected
    ENDED = "ended"  # the call is over; answered / talk time are known
    RECORDING = "recording"  # the recording of the call is ready to fetch
    IGNORED = "ignored"  # a notification we do not use (internal calls, IVR, on hold…)


@dataclass(frozen=True)
class PbxEvent:
    """One notification, in our words. `call_id` names the call at the provider (the same id in every
    event of one call); `at` is the PBX's own time of the event."""

    kind: EventKind
    call_id: str = ""
    at: datetime | None = None
    direction: str = ""  # "outbound" / "inbound" (CallAttempt.Direction values); "" when unknown
    client_phone: str = ""  # as the PBX spelled it; normalised by the caller
    extension: str = ""  # our operator's extension
    started_at: datetime | None = None
    answered: bool | None = None
    talk_seconds: int | None = None
    recording_ref: str = ""  # the provider's recording id (fetch_recording takes it)
    recording_url: str = ""
    command_id: str = ""  # our click-to-call's id, when the provider echoes it
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CallPlacement:
    """What the PBX answered to a click-to-call: our command id, and the call id when it tells one."""

    command_id: str
    call_id: str = ""


class PbxAdapter:
    """One PBX account's adapter. Subclasses implement the four verbs."""

    provider = ""
    label = _("PBX")

    def __init__(self, account):
        self.account = account

    def place_call(self, *, extension: str, client_phone: str, command_id: str) -> CallPlacement:
        """Ring our `extension` first, then the client (raises PbxError)."""
        raise NotImplementedError

    def verify_signature(self, *, body: bytes, form: dict, headers: dict, now: datetime) -> None:
        """Raise SignatureRefused unless the notification is signed with this account's secret and fresh."""
        raise NotImplementedError

    def parse_event(self, *, form: dict, path_kind: str = "") -> PbxEvent:
        """The notification as a PbxEvent (raises ValueError on a malformed one)."""
        raise NotImplementedError

    def fetch_recording(self, *, recording_ref: str) -> bytes:
        """The audio of a recording (raises PbxError); §3 stores it through Django's storage."""
        raise NotImplementedError
