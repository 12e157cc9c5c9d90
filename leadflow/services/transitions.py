"""The transition runner: every status change goes through `lead_transition` (row lock, guards,
permission, the audit row written by django-fsm-log)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from ..exceptions import LeadBusy, PermissionRefused, TransitionRefused
from ..models import (
    Lead,
)


def lock_lead(lead_id, *, nowait=False):
    """Re-read the lead under a row lock (PostgreSQL); SQLite serialises writers by itself."""
    try:
        return Lead.objects.select_for_update(nowait=nowait).get(pk=lead_id)
    except Lead.DoesNotExist:
        raise TransitionRefused(_("The lead does not exist.")) from None
    except Exception as exc:  # psycopg2 LockNotAvailable under nowait
        if nowait and exc.__class__.__name__ in {"OperationalError", "LockNotAvailable"}:
            raise LeadBusy() from exc
        raise


def lead_transition(
    *, lead, name, actor, description="", prepare=None, check_permission=True, save_fields=None, **kwargs
):
    """Run transition `name` on `lead` (a locked instance inside the caller's transaction).

    `prepare(lead)` sets the fields the guards look at (reason, amount…) before the guards run.
    `save_fields`: the fields the transition and `prepare` set, when the caller knows them (a hot path
    such as "Next lead" then writes an UPDATE of those, the status and `updated_at`, not the whole row).
    Raises TransitionRefused or PermissionRefused with a message for the user.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lead_transition must run inside transaction.atomic()")
    method = getattr(lead, name)
    if prepare is not None:
        prepare(lead)
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(
            _("“%(action)s” is not possible: the lead is “%(status)s”.")
            % {"action": transition_action(lead, name), "status": lead.get_status_display()}
        )
    if not can_proceed(method):
        raise TransitionRefused(
            _("“%(action)s” is not possible yet: %(why)s")
            % {"action": transition_action(lead, name), "why": _refusal_text(lead, name)}
        )
    if check_permission and actor is not None and not has_transition_perm(method, actor):
        raise PermissionRefused()
    method(by=actor, description=description or None, **kwargs)
    if save_fields is None:
        lead.save()
    else:
        lead.save(update_fields=["status", "updated_at", *save_fields])
    return lead


def _refusal_text(lead, name):
    """The failing guards' hints as one clause: "enter the quote amount; resolve the pending dispute first"."""
    return "; ".join(str(hint).rstrip(".") for hint in lead.refusal_hints(name)) + "."


def transition_action(lead, name):
    """The button word of transition `name` ("Take the lead"), read from the transition's `custom`."""
    return lead.transition_meta(name).custom["action"]
