"""The hand-off seen from sales: accept, dispute, arbitration, the overdue-acceptance flag."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access, links
from leadflow.models import HandoffState, Lead, LeadEvent, LeadStatus, Notification, Reason, Team
from leadflow.services import history_record, lead_transition, lock_lead, notification_send

from ..exceptions import TransitionRefused
from ..models import Dispute
from .common import (
    person_name,
    qualification_leads,
    sales_managers,
    sales_team_of,
)
from .deals import _return_to_qualification_locked


def _ensure_new_handoff(lead, action):
    if lead.status != LeadStatus.HANDED_OFF or lead.handoff_state != HandoffState.PENDING:
        raise TransitionRefused(
            _("“%(action)s” is only possible for a new hand-off awaiting acceptance.") % {"action": action}
        )


def handoff_accept(*, lead_id: int, actor) -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_deal_owner(lead=lead, actor=actor)
        _ensure_new_handoff(lead, _("Accept"))
        now = timezone.now()
        lead.handoff_state = HandoffState.ACCEPTED
        lead.accepted_at = now
        lead.save(update_fields=["handoff_state", "accepted_at", "updated_at"])
        late = lead.acceptance_due_at is not None and now > lead.acceptance_due_at
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.HANDOFF_ACCEPTED,
            description=_("Hand-off accepted after the window") if late else _("Hand-off accepted"),
            at=now,
        )
        return lead


def handoff_dispute(*, lead_id: int, actor, reason: Reason, comment: str) -> Dispute:
    """ "Not a target lead": the hand-off goes to arbitration (sales manager + qualification lead)."""
    if reason is None or reason.kind != Reason.Kind.DISPUTE:
        raise TransitionRefused(_("Choose why the lead is not a target lead."))
    if not (comment or "").strip():
        raise TransitionRefused(_("Explain the dispute in a comment."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_deal_owner(lead=lead, actor=actor)
        _ensure_new_handoff(lead, _("Dispute"))
        now = timezone.now()
        dispute = Dispute.objects.create(
            lead=lead,
            reason=reason,
            comment=comment.strip(),
            raised_by=actor,
            raised_at=now,
            # the qualifier credited with the hand-off, not the team lead who pressed it (manual strategy)
            qualifier=lead.qualified_by or lead.handed_off_by or lead.qualifier,
            sales_rep=lead.sales_rep or actor,
        )
        lead.handoff_state = HandoffState.DISPUTED
        lead.save(update_fields=["handoff_state", "updated_at"])
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.HANDOFF_DISPUTED,
            description=f"{reason.title}. {comment.strip()}",
            at=now,
        )
        qualification_team = Team.objects.get(pk=lead.qualification_team_id)
        arbiters = {user.pk: user for user in sales_managers(sales_team_of(lead))}
        arbiters.update({user.pk: user for user in qualification_leads(qualification_team)})
        for arbiter in arbiters.values():
            notification_send(
                recipient=arbiter,
                kind=Notification.Kind.DISPUTE,
                lead=lead,
                text=_("%(rep)s disputes the hand-off of %(lead)s: %(reason)s")
                % {"rep": person_name(actor), "lead": lead, "reason": reason.title},
                url=links.arbitration_url(),
                dedupe_key=f"dispute:{dispute.pk}",
            )
        return dispute


def _lock_pending_dispute(dispute_id):
    try:
        dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    except Dispute.DoesNotExist:
        raise TransitionRefused(_("The dispute does not exist.")) from None
    if not dispute.is_pending:
        raise TransitionRefused(
            _("This dispute has already been decided (%(decision)s).") % {"decision": dispute.get_decision_display()}
        )
    return dispute


def _notify_decision(dispute, lead, actor):
    text = _("Dispute on %(lead)s %(decision)s by %(arbiter)s: %(why)s") % {
        "lead": lead,
        "decision": dispute.get_decision_display().lower(),
        "arbiter": person_name(actor),
        "why": dispute.decision_note,
    }
    for person in {dispute.sales_rep, dispute.qualifier} - {None}:
        notification_send(
            recipient=person,
            kind=Notification.Kind.ARBITRATION,
            lead=lead,
            text=text,
            url=links.deal_url(lead.pk) if person == dispute.sales_rep else "",
            dedupe_key=f"dispute-decided:{dispute.pk}",
        )


def dispute_uphold(*, dispute_id: int, actor, note: str, disqualify_reason: Reason | None = None) -> Dispute:
    """The lead was not a target lead: it returns to qualification (or, given a disqualification
    reason, is closed as disqualified) and the dispute counts against the qualifier who handed it off."""
    access.ensure_arbiter(actor)
    if not (note or "").strip():
        raise TransitionRefused(_("Write down why the dispute is decided this way."))
    if disqualify_reason is not None and disqualify_reason.kind != Reason.Kind.DISQUALIFY:
        raise TransitionRefused(_("Choose a disqualification reason."))
    with transaction.atomic():
        dispute = _lock_pending_dispute(dispute_id)
        lead = lock_lead(dispute.lead_id)
        access.ensure_arbiter(actor, lead=lead)
        now = timezone.now()
        dispute.decision = Dispute.Decision.UPHELD
        dispute.decided_by = actor
        dispute.decided_at = now
        dispute.decision_note = note.strip()
        dispute.counts_against = Dispute.CountsAgainst.QUALIFIER
        dispute.counts_against_user = dispute.qualifier
        dispute.upheld_action = (
            Dispute.UpheldAction.DISQUALIFIED if disqualify_reason else Dispute.UpheldAction.RETURNED
        )
        dispute.save()
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.DISPUTE_UPHELD,
            description=_("Dispute upheld (%(reason)s), counts against the qualifier %(qualifier)s: %(why)s")
            % {
                "reason": dispute.reason.title,
                "qualifier": person_name(dispute.qualifier),
                "why": dispute.decision_note,
            },
            at=now,
        )
        _return_to_qualification_locked(lead=lead, actor=actor, note=_("Dispute upheld: %(why)s") % {"why": note})
        if disqualify_reason is not None:

            def prepare(locked):
                locked.disqualify_reason = disqualify_reason

            # The arbiter's permission was checked above; the qualifier's role check does not apply.
            lead_transition(
                lead=lead,
                name="disqualify",
                actor=actor,
                prepare=prepare,
                check_permission=False,
                description=_("Disqualified by arbitration: %(reason)s") % {"reason": disqualify_reason.title},
            )
        _notify_decision(dispute, lead, actor)
        return dispute


def dispute_reject(*, dispute_id: int, actor, note: str) -> Dispute:
    """The lead was a target lead: it stays with the rep (accepted) and counts against the rep."""
    access.ensure_arbiter(actor)
    if not (note or "").strip():
        raise TransitionRefused(_("Write down why the dispute is decided this way."))
    with transaction.atomic():
        dispute = _lock_pending_dispute(dispute_id)
        lead = lock_lead(dispute.lead_id)
        access.ensure_arbiter(actor, lead=lead)
        now = timezone.now()
        dispute.decision = Dispute.Decision.REJECTED
        dispute.decided_by = actor
        dispute.decided_at = now
        dispute.decision_note = note.strip()
        dispute.counts_against = Dispute.CountsAgainst.SALES_REP
        dispute.counts_against_user = dispute.sales_rep
        dispute.save()
        if lead.status == LeadStatus.HANDED_OFF and lead.handoff_state == HandoffState.DISPUTED:
            lead.handoff_state = HandoffState.ACCEPTED
            lead.accepted_at = now
            lead.save(update_fields=["handoff_state", "accepted_at", "updated_at"])
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.DISPUTE_REJECTED,
            description=_("Dispute rejected (%(reason)s), stays with %(rep)s and counts against the rep: %(why)s")
            % {"reason": dispute.reason.title, "rep": person_name(dispute.sales_rep), "why": dispute.decision_note},
            at=now,
        )
        _notify_decision(dispute, lead, actor)
        return dispute


def handoff_flag_overdue(*, now=None) -> int:
    """Flag each hand-off not accepted or disputed in its window, once; notify the sales manager(s).

    Safe to run twice and concurrently: the flag is set under the lead's row lock and the
    notification is deduplicated by the hand-off's moment.
    """
    now = now or timezone.now()
    candidates = Lead.objects.filter(
        status=LeadStatus.HANDED_OFF,
        handoff_state=HandoffState.PENDING,
        acceptance_due_at__lte=now,
    ).values_list("pk", flat=True)
    flagged = 0
    for lead_id in list(candidates):
        with transaction.atomic():
            lead = lock_lead(lead_id)
            if lead.status != LeadStatus.HANDED_OFF or lead.handoff_state != HandoffState.PENDING:
                continue
            if lead.acceptance_due_at is None or lead.acceptance_due_at > now:
                continue
            notified = lead.acceptance_overdue_notified_at
            if notified is not None and (lead.handed_off_at is None or notified >= lead.handed_off_at):
                continue  # already flagged for this hand-off
            lead.acceptance_overdue_notified_at = now
            lead.save(update_fields=["acceptance_overdue_notified_at", "updated_at"])
            rep_name = person_name(lead.sales_rep) if lead.sales_rep_id else "—"
            history_record(
                lead=lead,
                event=LeadEvent.ACCEPTANCE_OVERDUE,
                description=_("Not accepted or disputed by %(rep)s within the acceptance window") % {"rep": rep_name},
                at=now,
            )
            stamp = f"{lead.acceptance_due_at.timestamp():.0f}"
            for manager in sales_managers(sales_team_of(lead)):
                notification_send(
                    recipient=manager,
                    kind=Notification.Kind.ACCEPTANCE_OVERDUE,
                    lead=lead,
                    text=_("%(rep)s has not accepted the hand-off %(lead)s in time") % {"rep": rep_name, "lead": lead},
                    url=links.deal_url(lead.pk),
                    dedupe_key=f"acceptance-overdue:{lead.pk}:{stamp}",
                )
            flagged += 1
    return flagged
