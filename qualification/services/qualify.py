"""Qualify or disqualify a lead."""

from django.db import transaction
from django.utils.translation import gettext as _

from leadflow import access
from leadflow.models import Lead, Reason, Team
from leadflow.services import lead_transition, lock_lead

from .. import selectors
from ..exceptions import TransitionRefused

UNREACHABLE_REASON = "unreachable"


def lead_qualify(*, lead_id: int, actor, note: str = "") -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        return lead_transition(lead=lead, name="qualify", actor=actor, description=note)


def lead_disqualify(*, lead_id: int, actor, reason: Reason, note: str = "") -> Lead:
    """Close a lead with a reason. "Unreachable" needs the team's number of failed call attempts."""
    if reason is None or reason.kind != Reason.Kind.DISQUALIFY:
        raise TransitionRefused(_("Choose a disqualification reason."))
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        if reason.code == UNREACHABLE_REASON:
            team = Team.objects.get(pk=lead.qualification_team_id)
            failed = selectors.failed_attempts_count(lead_id=lead.pk)
            if failed < team.max_failed_attempts:
                raise TransitionRefused(
                    _("“Unreachable” needs %(needed)s failed call attempts; %(made)s logged so far.")
                    % {"needed": team.max_failed_attempts, "made": failed}
                )

        def prepare(locked):
            locked.disqualify_reason = reason
            if locked.qualifier_id is None:
                locked.qualifier = actor

        description = f"{reason.title}. {note}".strip() if note else reason.title
        return lead_transition(lead=lead, name="disqualify", actor=actor, prepare=prepare, description=description)
