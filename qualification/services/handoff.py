"""Hand-off to sales: choose the rep, hand off, the summary and the rep's notification."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access, links, roles
from leadflow.models import Lead, LeadEvent, LeadStatus, Notification, Profile, Team
from leadflow.people import display_name
from leadflow.services import history_record, lead_transition, lock_lead, notification_send
from leadflow.workhours import WorkCalendar

from .. import selectors
from ..exceptions import PermissionRefused, TransitionRefused
from ..models import HandoffSummary
from .checklist import _criteria_refresh

OPEN_DEAL_STATUSES = (LeadStatus.HANDED_OFF, LeadStatus.MEASURED)


def eligible_sales_reps(*, sales_team):
    """Active, available reps of the sales team."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=roles.SALES_REP,
            profile__team=sales_team,
            profile__is_available=True,
        )
        .distinct()
    )


def sales_rep_choose(*, sales_team: Team, strategy: str):
    """The next rep by the strategy, or None when nobody is available (or the choice is manual).

    least_loaded: fewest open deals (handed off or measured); ties go round the team in turn.
    round_robin: every available rep in turn. Unavailable and inactive reps are never chosen.
    The sales team row is locked, so a burst of concurrent hand-offs is spread, not piled up.
    Must run inside the caller's transaction.
    """
    if strategy == Team.AssignmentStrategy.MANUAL:
        return None
    team = Team.objects.select_for_update().get(pk=sales_team.pk)
    reps = list(
        eligible_sales_reps(sales_team=team)
        .annotate(open_deals=Count("sales_leads", filter=Q(sales_leads__status__in=OPEN_DEAL_STATUSES)))
        .order_by("pk")
    )
    if not reps:
        return None
    if strategy == Team.AssignmentStrategy.LEAST_LOADED:
        lowest = min(rep.open_deals for rep in reps)
        reps = [rep for rep in reps if rep.open_deals == lowest]
    pointer = team.round_robin_pointer
    chosen = next((rep for rep in reps if rep.pk > pointer), reps[0])
    Team.objects.filter(pk=team.pk).update(round_robin_pointer=chosen.pk)
    Profile.objects.filter(user=chosen).update(last_assigned_at=timezone.now())
    return chosen


def lead_hand_off(*, lead_id: int, actor, sales_rep, note: str = "") -> Lead:
    """Hand a qualified lead to a rep who is active, available and on the team's sales team."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        return _hand_off_locked(lead=lead, actor=actor, sales_rep=sales_rep, note=note)


def lead_send_to_sales(*, lead_id: int, actor, sales_rep=None, note: str = "", best_time_to_visit: str = "") -> Lead:
    """Hand a qualified lead off with its summary: the rep given (manual), or the one the team's
    strategy picks. The rep gets the summary and a notification (in-app and e-mail)."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        return _send_to_sales_locked(
            lead=lead, actor=actor, sales_rep=sales_rep, note=note, best_time_to_visit=best_time_to_visit
        )


def lead_qualify_and_hand_off(
    *, lead_id: int, actor, note: str = "", best_time_to_visit: str = "", sales_rep=None
) -> Lead:
    """The qualifier's "Qualify" button: qualify (every required criterion must pass), then hand off.

    With the manual strategy (and no rep given) the lead stays qualified and the team lead is asked
    to choose the rep; the note and best visit time are kept for that hand-off. Not durable: the
    booking page composes it with the visit in one transaction (sales.services.visit_book_and_hand_off).
    """
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        checklist = selectors.active_checklist(team_id=lead.qualification_team_id)
        if checklist is not None:
            lead = _criteria_refresh(lead=lead, checklist=checklist)
        lead = lead_transition(lead=lead, name="qualify", actor=actor, description=note)
        team = Team.objects.select_related("sales_team", "lead").get(pk=lead.qualification_team_id)
        if (
            sales_rep is None
            and lead.booked_rep_id is None
            and team.assignment_strategy == Team.AssignmentStrategy.MANUAL
        ):
            _pending_handoff_note(lead=lead, actor=actor, note=note, best_time_to_visit=best_time_to_visit)
            if team.lead is not None:
                notification_send(
                    recipient=team.lead,
                    kind=Notification.Kind.INFO,
                    lead=lead,
                    text=_("Lead %(lead)s is qualified: choose a sales rep.") % {"lead": lead},
                    url=links.lead_card_url(lead.pk),
                    dedupe_key=f"choose-rep:{lead.pk}:{lead.qualified_at.timestamp():.0f}",
                )
            return lead
        return _send_to_sales_locked(
            lead=lead, actor=actor, sales_rep=sales_rep, note=note, best_time_to_visit=best_time_to_visit
        )


# --- helpers: the caller holds the lead's row lock -------------------------------------------------


def _hand_off_locked(*, lead, actor, sales_rep, note):
    sales_team = selectors.sales_team_for(lead)  # by the team's hand-off routes, else its sales team
    if sales_team is None:
        raise TransitionRefused(_("The team has no sales team to hand off to."))
    if sales_rep is None or not eligible_sales_reps(sales_team=sales_team).filter(pk=sales_rep.pk).exists():
        raise TransitionRefused(_("Choose an active, available sales rep of %(team)s.") % {"team": sales_team})
    now = timezone.now()
    due = WorkCalendar.for_team(sales_team).add_working_minutes(now, sales_team.acceptance_window_minutes)

    def prepare(locked):
        locked.sales_rep = sales_rep
        locked.handed_off_by = actor

    return lead_transition(
        lead=lead,
        name="hand_off",
        actor=actor,
        prepare=prepare,
        description=note or _("To %(rep)s") % {"rep": display_name(sales_rep)},
        at=now,
        acceptance_due_at=due,
    )


def _send_to_sales_locked(*, lead, actor, sales_rep, note, best_time_to_visit):
    team = Team.objects.get(pk=lead.qualification_team_id)
    sales_team = selectors.sales_team_for(lead)
    if sales_team is None:
        raise TransitionRefused(_("The team has no sales team to hand off to."))
    if sales_rep is not None and not roles.can_manage_queue(lead, actor):
        raise PermissionRefused(_("Only the qualification lead chooses the sales rep by hand."))
    if sales_rep is None and lead.booked_rep_id is not None:
        # the client was promised a measurement with this rep during the call
        sales_rep = eligible_sales_reps(sales_team=sales_team).filter(pk=lead.booked_rep_id).first()
    if sales_rep is None:
        sales_rep = sales_rep_choose(sales_team=sales_team, strategy=team.assignment_strategy)
        if sales_rep is None:
            if team.assignment_strategy == Team.AssignmentStrategy.MANUAL:
                raise TransitionRefused(_("The qualification lead chooses the sales rep for this team."))
            raise TransitionRefused(_("No sales rep is available right now: ask the sales manager."))
    lead = _hand_off_locked(lead=lead, actor=actor, sales_rep=sales_rep, note=note)
    summary = _handoff_summary_create(lead=lead, actor=actor, note=note, best_time_to_visit=best_time_to_visit)
    _handoff_notify(lead=lead, summary=summary, actor=actor)
    return lead


def _pending_handoff_note(*, lead, actor, note, best_time_to_visit):
    if note or best_time_to_visit:
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.HANDOFF_NOTE,
            description=" · ".join(filter(None, [note, best_time_to_visit])),
        )


def _handoff_summary_create(*, lead, actor, note, best_time_to_visit):
    answers = selectors.answers_snapshot(lead=lead)
    by_code = {row["code"]: row for row in answers}
    return HandoffSummary.objects.create(
        lead=lead,
        sales_rep=lead.sales_rep,
        created_by=actor,
        checklist_version=answers[0]["version"] if answers else None,
        answers=answers,
        budget=by_code.get("budget", {}).get("answer", ""),
        timeline=by_code.get("timeline", {}).get("answer", ""),
        best_time_to_visit=best_time_to_visit,
        note=note,
    )


def _handoff_notify(*, lead, summary, actor):
    parts = [
        _("New lead %(lead)s from %(who)s") % {"lead": lead, "who": display_name(actor)},
        summary.budget and _("budget %s") % summary.budget,
        summary.timeline and _("timeline %s") % summary.timeline,
        summary.best_time_to_visit and _("visit: %s") % summary.best_time_to_visit,
        summary.note,
    ]
    notification_send(
        recipient=lead.sales_rep,
        kind=Notification.Kind.HANDOFF,
        lead=lead,
        text="; ".join(filter(None, parts)),
        url=links.deal_url(lead.pk),
        dedupe_key=f"handoff:{lead.pk}:{summary.pk}",
        email=True,
    )
