"""The check of one lead: pending → warned → breached, with notifications and reassignment."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.models import OPEN_STATUSES, Lead, LeadEvent, LeadStatus, Notification, Profile, SlaState
from leadflow.people import display_name
from leadflow.services import history_record, lead_transition, notification_send

from .common import BREACH, KINDS, RUNNING_STATES
from .shift import SlaContext


def _clock_running(lead):
    return (
        lead.first_call_at is None
        and lead.sla_state in RUNNING_STATES
        and lead.status in OPEN_STATUSES
        and not lead.is_archived
    )


def sla_check_lead(*, lead_id: int, kind: str, now=None, context=None) -> list:
    """Run the `kind` ('warn' or 'breach') check of one lead; returns the steps taken.

    Safe to run any number of times, early or late: it re-reads the lead under a row lock, acts only
    when the deadline has passed and the step is not done yet. A breach check on a lead whose
    warning was missed takes the warning step first, so the history always shows both.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown SLA check kind {kind!r}")
    now = now or timezone.now()
    context = context or SlaContext()
    steps = []
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None or not _clock_running(lead):
            return steps
        team = context.team(lead.qualification_team_id)
        warn_due = lead.sla_warn_at is not None and lead.sla_warn_at <= now
        breach_due = lead.sla_breach_at is not None and lead.sla_breach_at <= now
        if lead.sla_state == SlaState.PENDING and (warn_due or (kind == BREACH and breach_due)):
            _warn(lead=lead, team=team, now=now, context=context)
            steps.append("warned")
        if kind == BREACH and breach_due and lead.sla_state == SlaState.WARNED:
            _breach(lead=lead, team=team, now=now, context=context)
            steps.append("breached")
    return steps


def _lead_label(lead):
    return f"#{lead.pk} {lead.name or lead.phone}"


def _warn(*, lead, team, now, context):
    lead.sla_state = SlaState.WARNED
    lead.sla_warned_at = now
    lead.save(update_fields=["sla_state", "sla_warned_at", "updated_at"])
    history_record(
        lead=lead,
        event=LeadEvent.SLA_WARNING,
        description=_("No call after %(minutes)s working minutes.") % {"minutes": team.sla_warn_minutes},
        at=now,
    )
    recipients = [lead.qualifier] if lead.qualifier_id is not None else context.on_shift(team, now)
    text = _("Call now: lead %(lead)s has waited %(minutes)s working minutes.") % {
        "lead": _lead_label(lead),
        "minutes": team.sla_warn_minutes,
    }
    for user in recipients:
        notification_send(
            recipient=user,
            kind=Notification.Kind.SLA_WARNING,
            text=text,
            lead=lead,
            url=reverse("qualification:index"),
            dedupe_key=f"sla_warning:{lead.pk}",
        )
    if team.lead is not None:
        notification_send(
            recipient=team.lead,
            kind=Notification.Kind.SLA_WARNING,
            text=text,
            lead=lead,
            url=reverse("qualification:sla-panel"),
            dedupe_key=f"sla_warning:{lead.pk}",
        )


def _breach(*, lead, team, now, context):
    lead.sla_state = SlaState.BREACHED
    lead.sla_breached_at = now
    lead.save(update_fields=["sla_state", "sla_breached_at", "updated_at"])
    history_record(
        lead=lead,
        event=LeadEvent.SLA_BREACH,
        description=_("Not called within %(minutes)s working minutes: SLA breached.")
        % {"minutes": team.sla_breach_minutes},
        at=now,
    )
    if team.lead is not None:
        notification_send(
            recipient=team.lead,
            kind=Notification.Kind.SLA_BREACH,
            text=_("SLA breached: lead %(lead)s was not called within %(minutes)s working minutes.")
            % {"lead": _lead_label(lead), "minutes": team.sla_breach_minutes},
            lead=lead,
            url=reverse("qualification:sla-panel"),
            dedupe_key=f"sla_breach:{lead.pk}",
            email=True,
        )
    if team.reassign_on_breach:
        _reassign(lead=lead, team=team, now=now, context=context)


def _reassign(*, lead, team, now, context):
    """Give the breached lead to the next free on-shift qualifier (not the one who let it slip).

    An unclaimed lead is claimed on the new qualifier's behalf (the `claim` transition, actor =
    the system). A claimed lead changes hands by a direct update plus a history row: the FSM has no
    transition for a change of holder, since the status stays `qualifying`.
    """
    if lead.status not in (LeadStatus.NEW, LeadStatus.QUALIFYING):
        return
    new_holder = context.next_free(team, now, exclude_id=lead.qualifier_id)
    if new_holder is None:
        history_record(
            lead=lead, event=LeadEvent.SLA_REASSIGN_SKIPPED, description=_("No free qualifier on shift."), at=now
        )
        return
    previous = lead.qualifier if lead.qualifier_id else None
    description = _("Reassigned on SLA breach to %(new)s") % {"new": display_name(new_holder)}
    if lead.status == LeadStatus.NEW:

        def prepare(locked):
            locked.qualifier = new_holder

        lead_transition(lead=lead, name="claim", actor=None, prepare=prepare, description=description, at=now)
    else:
        lead.qualifier = new_holder
        lead.last_activity_at = now  # a fresh claim lease for the new holder
        lead.save(update_fields=["qualifier", "last_activity_at", "updated_at"])
        history_record(
            lead=lead,
            event=LeadEvent.SLA_REASSIGNED,
            description=_("Reassigned on SLA breach from %(old)s to %(new)s")
            % {"old": display_name(previous), "new": display_name(new_holder)},
            at=now,
        )
    Profile.objects.filter(user=new_holder).update(last_assigned_at=now)
    new_holder.held += 1
    new_holder.profile.last_assigned_at = now
    notification_send(
        recipient=new_holder,
        kind=Notification.Kind.REASSIGNED,
        text=_("Lead %(lead)s is now yours: its SLA is breached, call right away.") % {"lead": _lead_label(lead)},
        lead=lead,
        url=reverse("qualification:index"),
        dedupe_key=f"sla_reassigned:{lead.pk}",
    )
    if previous is not None:
        notification_send(
            recipient=previous,
            kind=Notification.Kind.REASSIGNED,
            text=_("Lead %(lead)s was given to %(new)s after its SLA breach.")
            % {"lead": _lead_label(lead), "new": display_name(new_holder)},
            lead=lead,
            dedupe_key=f"sla_taken_away:{lead.pk}",
        )
