from leadflow.exceptions import (  # noqa: F401  one family of domain errors across apps
    AlreadyClaimed,
    LeadBusy,
    LeadflowError,
    PermissionRefused,
    TransitionRefused,
)


class CallEventRefused(LeadflowError):
    """A telephony event that cannot be true of its lead (e.g. a call before the lead existed)."""

    def __init__(self, message, *, field):
        self.field = field
        super().__init__(message)


class RecordingNotReady(Exception):
    """The PBX could not give a call's recording now (a 5xx, unreachable, an empty body): the fetch
    task retries with backoff. Not a user-facing error."""


class ReviewRefused(LeadflowError):
    """A call review that cannot be saved as asked (a step left unticked, an acknowledged review edited)."""
