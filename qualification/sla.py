"""Speed-to-lead SLA: schedule the checks, run them idempotently, sweep, escalate, report.

The clock of a lead starts at `received_at`; its deadlines (`sla_warn_at`, `sla_breach_at`) are
stamped at intake in the team's working hours (leadflow.services.sla_deadlines) and the clock stops
at the first call attempt (qualification.services.call_attempt_log). This module enforces them:

- `on_lead_received` (connected in QualificationConfig.ready) publishes one Celery check at each
  deadline; a broker outage is logged and ignored, the sweep catches up.
- `sla_check_lead` re-reads the lead under a row lock and moves it pending → warned → breached.
  A duplicate, early or late message changes nothing twice: the state guards the step and every
  notification carries a dedupe key.
- `sla_sweep` (Celery beat, every minute) runs every check whose deadline passed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import (
    OPEN_STATUSES,
    Lead,
    LeadStatus,
    Notification,
    Profile,
    SlaState,
    Source,
    Team,
)
from leadflow.services import history_record, lead_receive, lead_transition, notification_send
from leadflow.workhours import WorkCalendar

from .models import CallAttempt
from .services import call_attempt_log
from .tasks import sla_check

log = logging.getLogger(__name__)

WARN, BREACH = "warn", "breach"
KINDS = (WARN, BREACH)
RUNNING_STATES = (SlaState.PENDING, SlaState.WARNED)  # the clock runs; lead_sla_open_idx covers these
CALL_TRACKING_SOURCE = "call_tracking"


# --- scheduling ---------------------------------------------------------------------------------


def sla_checks_schedule(*, lead_id: int, warn_at, breach_at) -> int:
    """Publish the warning and breach checks with an ETA; returns how many were published.

    Bounded: no publish retry, and the broker connection times out after
    CELERY_BROKER_CONNECTION_TIMEOUT. On the first failure we stop (the broker is down) and leave
    the lead to the sweep, which needs no message at all.
    """
    published = 0
    for kind, eta in ((WARN, warn_at), (BREACH, breach_at)):
        if eta is None:
            continue
        try:
            sla_check.apply_async(args=(lead_id, kind), eta=eta, retry=False)
        except Exception:
            log.warning("SLA: could not schedule the %s check of lead %s; the sweep will run it", kind, lead_id)
            break
        published += 1
    return published


def on_lead_received(sender, lead_id, **kwargs):
    """Receiver of leadflow.signals.lead_received (sent after the intake commit): never raises."""
    try:
        row = Lead.objects.filter(pk=lead_id).values_list("sla_warn_at", "sla_breach_at").first()
        if row is not None:
            sla_checks_schedule(lead_id=lead_id, warn_at=row[0], breach_at=row[1])
    except Exception:  # the lead is saved; a failure here must not turn the 201 into a 500
        log.exception("SLA: scheduling the checks of lead %s failed; the sweep will run them", lead_id)


# --- who is on shift ----------------------------------------------------------------------------


class SlaContext:
    """Per-run cache of teams and calendars, so a sweep over many leads reads each team once."""

    def __init__(self):
        self._teams = {}
        self._calendars = {}
        self._on_shift = {}

    def team(self, team_id):
        if team_id not in self._teams:
            self._teams[team_id] = Team.objects.select_related("lead").prefetch_related("working_hours").get(pk=team_id)
        return self._teams[team_id]

    def calendar(self, team):
        if team.pk not in self._calendars:
            self._calendars[team.pk] = WorkCalendar.for_team(team)
        return self._calendars[team.pk]

    def on_shift(self, team, now):
        """The team's on-shift qualifiers, read once per run; `held` is kept current as we assign."""
        if team.pk not in self._on_shift:
            self._on_shift[team.pk] = list(qualifiers_on_shift(team=team, now=now, calendar=self.calendar(team)))
        return self._on_shift[team.pk]

    def next_free(self, team, now, *, exclude_id=None):
        candidates = [user for user in self.on_shift(team, now) if user.pk != exclude_id]
        if not candidates:
            return None
        oldest = datetime.min.replace(tzinfo=now.tzinfo)
        return min(candidates, key=lambda u: (u.held, u.profile.last_assigned_at or oldest, u.pk))


def qualifiers_on_shift(*, team, now=None, calendar=None):
    """Qualifiers of the team who are active and available, while the team's calendar is open.

    Ordered "next free" first: fewest leads held in qualification, then longest since their last
    assignment, so reassignment spreads the load.
    """
    now = now or timezone.now()
    calendar = calendar or WorkCalendar.for_team(team)
    users = get_user_model().objects
    if not calendar.is_open_at(now):
        return users.none()
    # a correlated count on lead_qualifier_idx (qualifier, status): never a scan of closed leads
    held = (
        Lead.objects.filter(qualifier=OuterRef("pk"), status=LeadStatus.QUALIFYING)
        .order_by()
        .values("qualifier")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        users.filter(
            is_active=True,
            groups__name=roles.QUALIFIER,
            profile__team=team,
            profile__is_available=True,
        )
        .annotate(held=Coalesce(Subquery(held), 0))
        .select_related("profile")
        .order_by("held", F("profile__last_assigned_at").asc(nulls_first=True), "pk")
    )


# --- the check ----------------------------------------------------------------------------------


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


def _name(user):
    return user.get_full_name() or user.username


def _lead_label(lead):
    return f"#{lead.pk} {lead.name or lead.phone}"


def _warn(*, lead, team, now, context):
    lead.sla_state = SlaState.WARNED
    lead.sla_warned_at = now
    lead.save(update_fields=["sla_state", "sla_warned_at", "updated_at"])
    history_record(
        lead=lead,
        event="sla_warning",
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
        event="sla_breach",
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
        history_record(lead=lead, event="sla_reassign_skipped", description=_("No free qualifier on shift."), at=now)
        return
    previous = lead.qualifier if lead.qualifier_id else None
    description = _("Reassigned on SLA breach to %(new)s") % {"new": _name(new_holder)}
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
            event="sla_reassigned",
            description=_("Reassigned on SLA breach from %(old)s to %(new)s")
            % {"old": _name(previous), "new": _name(new_holder)},
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
            % {"lead": _lead_label(lead), "new": _name(new_holder)},
            lead=lead,
            dedupe_key=f"sla_taken_away:{lead.pk}",
        )


# --- the sweep ----------------------------------------------------------------------------------


def sla_due_queryset(*, now):
    """Leads whose warning or breach deadline passed while their clock still runs.

    Only rows of the partial index lead_sla_open_idx (sla_state pending/warned) qualify, so the
    query reads the small set of leads whose clock runs, never the closed history.
    """
    return (
        Lead.objects.filter(sla_state__in=RUNNING_STATES, first_call_at__isnull=True)
        .filter(Q(sla_breach_at__lte=now) | Q(sla_state=SlaState.PENDING, sla_warn_at__lte=now))
        .order_by("sla_breach_at", "pk")
    )


def sla_leads_due(*, now=None):
    """(id, kind) of every lead whose check is due: 'breach' once the breach deadline passed."""
    now = now or timezone.now()
    rows = sla_due_queryset(now=now).values_list("pk", "sla_breach_at", "status")
    # the status test runs here, not in SQL: with it the planner also reads the status index over
    # every open lead (BitmapAnd), 20 ms at 100,000 open leads instead of ~1 ms
    return [
        (pk, BREACH if breach_at is not None and breach_at <= now else WARN)
        for pk, breach_at, status in rows
        if status in OPEN_STATUSES
    ]


def sla_sweep(*, now=None, chunk=100) -> dict:
    """Run every overdue check (lost message, dead worker, broker down at intake). Idempotent.

    Checks run `chunk` at a time in one transaction (each lead in its own savepoint), so a backlog
    costs one commit per chunk, not per lead; a lead whose check fails is logged and skipped.
    """
    now = now or timezone.now()
    context = SlaContext()
    totals = {"due": 0, "warned": 0, "breached": 0, "failed": 0}
    due = sla_leads_due(now=now)
    for start in range(0, len(due), chunk):
        with transaction.atomic():
            for lead_id, kind in due[start : start + chunk]:
                totals["due"] += 1
                try:
                    steps = sla_check_lead(lead_id=lead_id, kind=kind, now=now, context=context)
                except Exception:
                    log.exception("SLA sweep: the %s check of lead %s failed", kind, lead_id)
                    totals["failed"] += 1
                    continue
                for step in steps:
                    totals[step] += 1
    if totals["due"]:
        log.info("SLA sweep: %(due)s due, %(warned)s warned, %(breached)s breached, %(failed)s failed", totals)
    return totals


# --- telephony ----------------------------------------------------------------------------------


@dataclass
class CallEventResult:
    lead: Lead | None = None
    attempt: CallAttempt | None = None
    lead_created: bool = False
    duplicate: bool = False


def call_operator_find(operator: str):
    """The user behind a PBX operator: an e-mail address or a phone extension (Profile)."""
    operator = (operator or "").strip()
    if not operator:
        return None
    users = get_user_model().objects.filter(is_active=True)
    if "@" in operator:
        return users.filter(email__iexact=operator).order_by("pk").first()
    return users.filter(profile__phone_extension=operator).order_by("pk").first()


def call_event_record(
    *,
    event_id: str,
    client_phone: str,
    direction: str,
    started_at,
    duration_seconds: int,
    answered: bool,
    operator=None,
    payload=None,
) -> CallEventResult:
    """Record one telephony event; idempotent by `event_id`.

    - a call with the client of an open lead (outbound any outcome, inbound answered) is a call
      attempt on it (reached / no answer), which stops its SLA clock;
    - an inbound call from a number with no open lead becomes a new `call_tracking` lead (met at
      once if answered);
    - a missed inbound call is the client's attempt, not our response: it is attached to the lead
      as a repeat inquiry and the clock keeps running;
    - an outbound call to a number with no open lead is ignored.
    """
    existing = CallAttempt.objects.select_related("lead").filter(external_event_id=event_id).first()
    if existing is not None:
        return CallEventResult(lead=existing.lead, attempt=existing, duplicate=True)
    inbound = direction == CallAttempt.Direction.INBOUND
    try:
        with transaction.atomic():
            return _call_event_record(
                event_id=event_id,
                client_phone=client_phone,
                inbound=inbound,
                direction=direction,
                started_at=started_at,
                duration_seconds=duration_seconds,
                answered=answered,
                operator=operator,
                payload=payload or {},
            )
    except IntegrityError:
        # the same event delivered twice at once: the other delivery recorded it
        existing = CallAttempt.objects.select_related("lead").filter(external_event_id=event_id).first()
        if existing is None:
            raise
        return CallEventResult(lead=existing.lead, attempt=existing, duplicate=True)


def _call_event_record(
    *, event_id, client_phone, inbound, direction, started_at, duration_seconds, answered, operator, payload
):
    result = CallEventResult()
    lead = (
        Lead.objects.filter(phone=client_phone, status__in=OPEN_STATUSES, is_archived=False)
        .order_by("-received_at")
        .first()
    )
    if inbound and (lead is None or not answered):
        source = Source.objects.get(code=CALL_TRACKING_SOURCE)
        intake = lead_receive(
            source=source,
            phone=client_phone,
            external_id=event_id,
            channel="call",
            received_at=started_at,
            payload=payload,
            message=_("Inbound call") if answered else _("Missed inbound call"),
        )
        lead, result.lead_created, result.duplicate = intake.lead, intake.created, intake.duplicate
    result.lead = lead
    if lead is None or (inbound and not answered):
        return result
    note = _("Telephony, %(seconds)s s") % {"seconds": duration_seconds}
    if operator is None and payload.get("operator"):
        note += f", {payload['operator']}"
    result.attempt = call_attempt_log(
        lead_id=lead.pk,
        actor=operator,
        outcome=CallAttempt.Outcome.REACHED if answered else CallAttempt.Outcome.NO_ANSWER,
        note=note,
        called_at=started_at,
        direction=direction,
        duration_seconds=duration_seconds,
        external_event_id=event_id,
        check_holder=False,
    )
    result.duplicate = False
    result.lead = result.attempt.lead  # the instance call_attempt_log locked and saved
    return result


# --- the panel ----------------------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5) over an interval."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def median_duration(queryset, *, start: str, end: str, count=None):
    """Median of `end - start` over the queryset, computed in the database (None when empty).

    PostgreSQL aggregates with percentile_cont; elsewhere the database sorts and we fetch only the
    one or two middle values (`count`, when the caller knows it, saves a query).
    """
    spent = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    if connection.vendor == "postgresql":
        return queryset.aggregate(median=Median(spent))["median"]
    count = queryset.count() if count is None else count
    if not count:
        return None
    middle = list(
        queryset.annotate(spent=spent)
        .order_by("spent")
        .values_list("spent", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    return sum(middle, timedelta()) / len(middle)


@dataclass
class SlaPanel:
    team: Team
    now: datetime
    is_open: bool
    next_opening: datetime | None
    on_shift: list
    counts: dict
    urgent: list
    pending: list
    breaches_today: int
    called_today: int
    met_today: int
    median_today: timedelta | None

    @property
    def median_today_minutes(self):
        """The median as "m:ss" (minutes may exceed 59)."""
        if self.median_today is None:
            return None
        seconds = round(self.median_today.total_seconds())
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def met_share_today(self):
        return round(100 * self.met_today / self.called_today) if self.called_today else None


def sla_panel_get(*, team, now=None, limit=50) -> SlaPanel:
    """What the qualification lead watches: who is on shift, leads waiting for a call by SLA state,
    today's breaches and today's median time to first call (today in the team's time zone)."""
    now = now or timezone.now()
    calendar = WorkCalendar.for_team(team)
    today = now.astimezone(calendar.tz).date()
    day_start = datetime.combine(today, time.min, calendar.tz)
    day_end = day_start + timedelta(days=1)
    waiting = Lead.objects.filter(
        qualification_team=team, status__in=OPEN_STATUSES, is_archived=False, first_call_at__isnull=True
    )
    counts = dict.fromkeys((SlaState.PENDING, SlaState.WARNED, SlaState.BREACHED), 0)
    counts.update(waiting.values_list("sla_state").annotate(n=Count("pk")).order_by().values_list("sla_state", "n"))
    listed = waiting.select_related("qualifier", "source").only(
        "pk",
        "name",
        "phone",
        "received_at",
        "status",
        "sla_state",
        "sla_warn_at",
        "sla_breach_at",
        "sla_breached_at",
        "qualifier__username",
        "qualifier__first_name",
        "qualifier__last_name",
        "source__name",
    )
    received_today = Lead.objects.filter(qualification_team=team, received_at__gte=day_start, received_at__lt=day_end)
    called_today = received_today.filter(first_call_at__isnull=False)
    called = called_today.aggregate(total=Count("pk"), met=Count("pk", filter=Q(sla_state=SlaState.MET)))
    return SlaPanel(
        team=team,
        now=now,
        is_open=calendar.is_open_at(now),
        next_opening=calendar.next_opening(now),
        on_shift=list(qualifiers_on_shift(team=team, now=now, calendar=calendar)),
        counts=counts,
        urgent=list(
            listed.filter(sla_state__in=[SlaState.WARNED, SlaState.BREACHED]).order_by("sla_breach_at", "pk")[:limit]
        ),
        pending=list(listed.filter(sla_state=SlaState.PENDING).order_by("sla_warn_at", "pk")[:limit]),
        # by the deadline, not by sla_breached_at: a late call that beat the breach check is a breach too
        breaches_today=Lead.objects.filter(
            qualification_team=team,
            sla_state__in=[SlaState.BREACHED, SlaState.MET_LATE],
            sla_breach_at__gte=day_start,
            sla_breach_at__lt=day_end,
        ).count(),
        called_today=called["total"],
        met_today=called["met"],
        median_today=median_duration(called_today, start="received_at", end="first_call_at", count=called["total"]),
    )


def sla_panel_teams(*, user):
    """The qualification teams a user may watch: a director all, a team lead their own team."""
    teams = Team.objects.filter(kind=Team.Kind.QUALIFICATION, is_active=True).order_by("name")
    if user.is_superuser or roles.has_role(user, roles.DIRECTOR):
        return teams
    profile = getattr(user, "profile", None)
    team_id = profile.team_id if profile is not None else None
    return teams.filter(Q(pk=team_id) | Q(lead=user))
