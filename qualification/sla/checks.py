"""The checks: pending → warned → breached, with notifications and reassignment, for one lead or many.

One code path for both: the Celery message of one lead (`sla_check_lead`) and the sweep's backlog
(`sla_checks_run` over up to a thousand leads) lock their leads, decide each lead's steps in Python and
write them in a constant number of statements: one UPDATE per step over all leads taking it, the
history rows in one INSERT, the notifications in one (docs/decisions.md, "The SLA sweep in batches").
A step is taken once: the leads are re-read under their row locks and the state guards each step.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from leadflow.models import OPEN_STATUSES, Lead, LeadEvent, LeadStatus, Notification, Profile, SlaState
from leadflow.people import display_name
from leadflow.services import HistoryEntry, NotificationDraft, history_record_many, notifications_send_many

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
    return sla_checks_run(due=[(lead_id, kind)], now=now, context=context).get(lead_id, [])


def sla_checks_run(*, due, now=None, context=None) -> dict:
    """Run the checks `due` ([(lead id, kind)…]) in one transaction; {lead id: [steps taken]}.

    The statements do not grow with the number of leads: the leads are locked and read in one
    SELECT (in id order, so two sweeps never deadlock), each step is one UPDATE, the history one
    INSERT, the notifications one read of the dedupe keys and one INSERT (see `notifications_send_many`:
    a person who would get many of one kind gets one notification listing the leads). Only the
    reassignment on breach writes once per new holder (a handful of qualifiers, not per lead).
    """
    kinds = {}
    for lead_id, kind in due:
        if kind not in KINDS:
            raise ValueError(f"unknown SLA check kind {kind!r}")
        kinds[lead_id] = BREACH if BREACH in (kind, kinds.get(lead_id)) else kind
    now = now or timezone.now()
    context = context or SlaContext()
    run = _Run(now=now, context=context)
    with transaction.atomic():
        leads = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("qualifier")
            .filter(pk__in=list(kinds))
            .order_by("pk")
        )
        for lead in leads:
            if _clock_running(lead):
                _plan_steps(lead=lead, kind=kinds[lead.pk], run=run)
        run.write()
    return dict(run.steps)


@dataclass
class _Run:
    """What one run decided: leads per step, history rows and notifications, written by `write`."""

    now: object
    context: SlaContext
    steps: dict = field(default_factory=lambda: defaultdict(list))
    warned: list = field(default_factory=list)
    breached: list = field(default_factory=list)
    claimed: dict = field(default_factory=lambda: defaultdict(list))  # new holder id → leads claimed for them
    handed_over: dict = field(default_factory=lambda: defaultdict(list))  # new holder id → leads taken from another
    assigned: set = field(default_factory=set)  # user ids whose last assignment is now
    history: list = field(default_factory=list)
    notifications: list = field(default_factory=list)

    def write(self):
        now = self.now
        if self.warned:
            Lead.objects.filter(pk__in=[lead.pk for lead in self.warned]).update(
                sla_state=SlaState.WARNED, sla_warned_at=now, updated_at=now
            )
        if self.breached:
            Lead.objects.filter(pk__in=[lead.pk for lead in self.breached]).update(
                sla_state=SlaState.BREACHED, sla_breached_at=now, updated_at=now
            )
        for holder_id, leads in self.claimed.items():  # the `claim` transition's fields, checked by can_proceed
            Lead.objects.filter(pk__in=[lead.pk for lead in leads], status=LeadStatus.NEW).update(
                status=LeadStatus.QUALIFYING,
                qualifier_id=holder_id,
                claimed_at=now,
                last_activity_at=now,
                updated_at=now,
            )
        for holder_id, leads in self.handed_over.items():
            Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(
                qualifier_id=holder_id, last_activity_at=now, updated_at=now
            )
        if self.assigned:
            Profile.objects.filter(user_id__in=self.assigned).update(last_assigned_at=now)
        history_record_many(entries=self.history)
        notifications_send_many(drafts=self.notifications, digest=_digest)


def _plan_steps(*, lead, kind, run):
    """Decide the steps of one locked lead whose clock runs; the writes wait for `_Run.write`."""
    now = run.now
    team = run.context.team(lead.qualification_team_id)
    warn_due = lead.sla_warn_at is not None and lead.sla_warn_at <= now
    breach_due = lead.sla_breach_at is not None and lead.sla_breach_at <= now
    if lead.sla_state == SlaState.PENDING and (warn_due or (kind == BREACH and breach_due)):
        _warn(lead=lead, team=team, run=run)
        run.steps[lead.pk].append("warned")
    if kind == BREACH and breach_due and lead.sla_state == SlaState.WARNED:
        _breach(lead=lead, team=team, run=run)
        run.steps[lead.pk].append("breached")


def _lead_label(lead):
    return f"#{lead.pk} {lead.name or lead.phone}"


def _history(run, lead, event, description, *, source_state=None, state=None):
    run.history.append(
        HistoryEntry(
            lead_id=lead.pk,
            event=event,
            description=description,
            at=run.now,
            source_state=source_state or lead.status,
            state=state or lead.status,
        )
    )


def _notify(run, **fields):
    run.notifications.append(NotificationDraft(**fields))


def _mark(run, lead, *, state, stamp, taken, event, description):
    """Move the lead's SLA state in memory, list it for its step's UPDATE and write its history row."""
    lead.sla_state = state
    setattr(lead, stamp, run.now)
    taken.append(lead)
    _history(run, lead, event, description)


def _warn(*, lead, team, run):
    _mark(
        run,
        lead,
        state=SlaState.WARNED,
        stamp="sla_warned_at",
        taken=run.warned,
        event=LeadEvent.SLA_WARNING,
        description=_("No call after %(minutes)s working minutes.") % {"minutes": team.sla_warn_minutes},
    )
    holders = [lead.qualifier] if lead.qualifier_id is not None else run.context.on_shift(team, run.now)
    recipients = [(user, reverse("qualification:index")) for user in holders]
    if team.lead is not None:
        recipients.append((team.lead, reverse("qualification:sla-panel")))
    text = _("Call now: lead %(lead)s has waited %(minutes)s working minutes.") % {
        "lead": _lead_label(lead),
        "minutes": team.sla_warn_minutes,
    }
    for user, url in recipients:
        _notify(
            run,
            recipient=user,
            kind=Notification.Kind.SLA_WARNING,
            text=text,
            lead=lead,
            url=url,
            dedupe_key=f"sla_warning:{lead.pk}",
        )


def _breach(*, lead, team, run):
    _mark(
        run,
        lead,
        state=SlaState.BREACHED,
        stamp="sla_breached_at",
        taken=run.breached,
        event=LeadEvent.SLA_BREACH,
        description=_("Not called within %(minutes)s working minutes: SLA breached.")
        % {"minutes": team.sla_breach_minutes},
    )
    if team.lead is not None:
        _notify(
            run,
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
        _reassign(lead=lead, team=team, run=run)


def _reassign(*, lead, team, run):
    """Give the breached lead to the next free on-shift qualifier (not the one who let it slip).

    An unclaimed lead is claimed on the new qualifier's behalf: the `claim` transition's guards are
    checked on the lead (can_proceed) and its fields and history row (`claim`, by the system) written
    with the run's other writes. A claimed lead changes hands by an update plus a history row: the FSM
    has no transition for a change of holder, since the status stays `qualifying`.
    """
    if lead.status not in (LeadStatus.NEW, LeadStatus.QUALIFYING):
        return
    now = run.now
    new_holder = run.context.next_free(team, now, exclude_id=lead.qualifier_id)
    if new_holder is None:
        _history(run, lead, LeadEvent.SLA_REASSIGN_SKIPPED, _("No free qualifier on shift."))
        return
    previous = lead.qualifier if lead.qualifier_id else None
    if lead.status == LeadStatus.NEW:
        lead.qualifier = new_holder
        if not can_proceed(lead.claim):
            lead.qualifier = previous
            return
        run.claimed[new_holder.pk].append(lead)
        _history(
            run,
            lead,
            LeadEvent.CLAIM,
            _("Reassigned on SLA breach to %(new)s") % {"new": display_name(new_holder)},
            source_state=LeadStatus.NEW,
            state=LeadStatus.QUALIFYING,
        )
    else:
        lead.qualifier = new_holder
        run.handed_over[new_holder.pk].append(lead)
        _history(
            run,
            lead,
            LeadEvent.SLA_REASSIGNED,
            _("Reassigned on SLA breach from %(old)s to %(new)s")
            % {"old": display_name(previous), "new": display_name(new_holder)},
        )
    run.assigned.add(new_holder.pk)
    new_holder.held += 1
    new_holder.profile.last_assigned_at = now
    _notify(
        run,
        recipient=new_holder,
        kind=Notification.Kind.REASSIGNED,
        text=_("Lead %(lead)s is now yours: its SLA is breached, call right away.") % {"lead": _lead_label(lead)},
        lead=lead,
        url=reverse("qualification:index"),
        dedupe_key=f"sla_reassigned:{lead.pk}",
    )
    if previous is not None:
        _notify(
            run,
            recipient=previous,
            kind=Notification.Kind.REASSIGNED,
            text=_("Lead %(lead)s was given to %(new)s after its SLA breach.")
            % {"lead": _lead_label(lead), "new": display_name(new_holder)},
            lead=lead,
            dedupe_key=f"sla_taken_away:{lead.pk}",
        )


def _digest(kind, drafts):
    """One notification for a person who would get many of `kind` at once: (text, url), listing the leads."""
    leads = [draft.lead for draft in drafts]
    if kind == Notification.Kind.SLA_BREACH:
        text, url = _("SLA breached on %(count)s leads: %(leads)s"), reverse("qualification:sla-panel")
    elif kind == Notification.Kind.SLA_WARNING:
        text, url = (
            _("Call now: %(count)s leads are about to breach the SLA: %(leads)s"),
            reverse("qualification:index"),
        )
    else:
        text, url = _("%(count)s leads changed hands on SLA breach: %(leads)s"), reverse("qualification:index")
    return text % {"count": len(leads), "leads": _lead_list(leads, room=500 - len(text))}, url


def _lead_list(leads, *, room):
    """'#1 Анна, #2 +7912…' within `room` characters, then '…and 12 more'."""
    shown = []
    for index, lead in enumerate(leads):
        label = _lead_label(lead)
        rest = len(leads) - index - 1
        more = _(" …and %(count)s more") % {"count": rest} if rest else ""
        if len(", ".join([*shown, label])) + len(more) > room:
            return ", ".join(shown) + (_(" …and %(count)s more") % {"count": len(leads) - index})
        shown.append(label)
    return ", ".join(shown)
