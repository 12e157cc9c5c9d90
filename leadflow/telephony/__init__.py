"""PBX adapters (docs/telephony.md): one interface, one module per provider.

`adapter_for(account)` gives the adapter of a configured `PbxAccount`; every adapter speaks its
provider's published format both ways: `place_call` (click-to-call), `verify_signature` and
`parse_event` (its notifications), `fetch_recording` (the audio of a finished call)."""

from .base import (
    CallPlacement,
    EventKind,
    PbxAdapter,
    PbxError,
    PbxEvent,
    SignatureRefused,
)
from .generic import GenericAdapter
from .mango import MangoAdapter
from .zadarma import ZadarmaAdapter

ADAPTERS = {"mango": MangoAdapter, "zadarma": ZadarmaAdapter, "generic": GenericAdapter}


def adapter_for(account) -> PbxAdapter:
    return ADAPTERS[account.provider](account)


__all__ = [
    "ADAPTERS",
    "CallPlacement",
    "EventKind",
    "GenericAdapter",
    "MangoAdapter",
    "PbxAdapter",
    "PbxError",
    "PbxEvent",
    "SignatureRefused",
    "ZadarmaAdapter",
    "adapter_for",
]
