"""What each app holds about a lead's person, registered in its AppConfig.ready.

The core cannot import the apps built on it, so they tell it here: `export(lead_ids)` returns rows
(JSON-ready dicts, each with a "lead" key) for a person's data export, `anonymise(lead_ids)` blanks the
free texts and addresses of those leads' rows, keeping every figure the reports count.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonalDataHolder:
    key: str  # the export's section name, e.g. "call_attempts"
    export: Callable[[list[int]], Iterable[dict]]
    anonymise: Callable[[list[int]], None]


_holders: dict[str, PersonalDataHolder] = {}


def register(key, *, export, anonymise):
    """Idempotent by `key` (ready() may run twice in tests)."""
    _holders[key] = PersonalDataHolder(key=key, export=export, anonymise=anonymise)


def holders():
    return [_holders[key] for key in sorted(_holders)]
