"""Writes of the rep's deal board: accept/dispute, arbitration, measurement, won/lost."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import HandoffState, Lead, LeadStatus, Reason
from leadflow.services import history_record, lead_transition, lock_lead

from .exceptions import PermissionRefused, TransitionRefused


def _ensure_deal_owner(*, lead, actor):
    if lead.sales_rep_id == actor.pk or roles.has_role(actor, roles.SALES_MANAGER, roles.DIRECTOR):
        return
    raise PermissionRefused(_("This deal belongs to another sales rep."))


def handoff_accept(*, lead_id: int, actor) -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_deal_owner(lead=lead, actor=actor)
        if lead.status != LeadStatus.HANDED_OFF or lead.handoff_state != HandoffState.PENDING:
            raise TransitionRefused(_("Only a new hand-off can be accepted."))
        lead.handoff_state = HandoffState.ACCEPTED
        lead.accepted_at = timezone.now()
        lead.save(update_fields=["handoff_state", "accepted_at", "updated_at"])
        history_record(lead=lead, actor=actor, event="handoff_accepted", description=_("Hand-off accepted"))
        return lead


def lead_record_measurement(*, lead_id: int, actor, quote_amount: Decimal, note: str = "") -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_deal_owner(lead=lead, actor=actor)

        def prepare(locked):
            locked.quote_amount = quote_amount

        return lead_transition(lead=lead, name="record_measurement", actor=actor, prepare=prepare, description=note)


def lead_win(*, lead_id: int, actor, deal_amount: Decimal, deal_date, note: str = "") -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_deal_owner(lead=lead, actor=actor)

        def prepare(locked):
            locked.deal_amount = deal_amount
            locked.deal_date = deal_date
            locked.outcome_note = note

        return lead_transition(
            lead=lead,
            name="win",
            actor=actor,
            prepare=prepare,
            description=_("Contract %(amount)s ₽") % {"amount": deal_amount},
        )


def lead_lose(*, lead_id: int, actor, reason: Reason, competitor: str = "", note: str = "") -> Lead:
    if reason is None or reason.kind != Reason.Kind.LOSE:
        raise TransitionRefused(_("Choose the reason the deal was lost."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_deal_owner(lead=lead, actor=actor)

        def prepare(locked):
            locked.lose_reason = reason
            locked.competitor = competitor
            locked.outcome_note = note

        return lead_transition(
            lead=lead, name="lose", actor=actor, prepare=prepare, description=f"{reason.title}. {note}".strip(". ")
        )


def lead_return_to_qualification(*, lead_id: int, actor, note: str = "") -> Lead:
    """A dispute upheld: the lead goes back to its qualifier's queue."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        return lead_transition(lead=lead, name="return_to_qualification", actor=actor, description=note)
