"""Domain errors of the deal board (the core's, plus refusals of what was typed)."""

from leadflow.exceptions import LeadflowError, PermissionRefused, TransitionRefused  # noqa: F401


class EntryRefused(TransitionRefused):
    """A typed value fails a sanity rule: `field` names the form field the message belongs to, so a
    page can show it next to the value (kept as typed) instead of a message on another page."""

    def __init__(self, message=None, *, field=None):
        self.field = field
        super().__init__(message)


class UnusualAmount(EntryRefused):
    """The contract amount is far from the quote: allowed only when the person confirms it."""


class VisitClash(TransitionRefused):
    """The new rep is busy at the deal's booked visit (or the picked time): `slots` are their free ones."""

    def __init__(self, message=None, *, slots=()):
        self.slots = list(slots)
        super().__init__(message)
