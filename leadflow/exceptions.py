"""Domain errors. `leadflow.middleware.DomainErrorMiddleware` turns them into what a person sees: a
refused permission into the 403 page with its reason, a missing lead into the 404 page, any other
refusal of a POST into a message on the page the person came from. Never a 500."""

from django.utils.translation import gettext_lazy as _


class LeadflowError(Exception):
    default_message = _("The operation could not be completed.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class TransitionRefused(LeadflowError):
    default_message = _("This action is not possible for the lead in its current state.")


class PermissionRefused(LeadflowError):
    default_message = _("You are not allowed to do this.")


class LeadBusy(LeadflowError):
    default_message = _("Someone else is working on this lead right now. Try again in a moment.")


class AlreadyClaimed(LeadflowError):
    default_message = _("This lead has already been taken by another qualifier.")


class LeadNotFound(LeadflowError):
    default_message = _("No such lead.")


class TwoFactorRefused(LeadflowError):
    default_message = _("Two-factor sign-in could not be changed.")


class OneTimeCodeRefused(LeadflowError):
    """A wrong one-time code, or too many wrong ones: `retry_after` is the wait in seconds (0 = none)."""

    default_message = _("Wrong code. Check the time on your phone and enter the current code.")

    def __init__(self, message=None, *, retry_after=0):
        self.retry_after = retry_after
        super().__init__(message)
