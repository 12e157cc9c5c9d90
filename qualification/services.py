"""Writes of the qualifier's workspace: claim, qualify, disqualify, hand-off."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Reason, Team
from leadflow.services import lead_transition, lock_lead
from leadflow.workhours import WorkCalendar

from .exceptions import AlreadyClaimed, PermissionRefused, TransitionRefused


def _ensure_team_member(*, lead, actor):
    if actor.is_superuser or roles.has_role(actor, roles.DIRECTOR):
        return
    profile = getattr(actor, "profile", None)
    if profile is None or profile.team_id != lead.qualification_team_id:
        raise PermissionRefused(_("This lead belongs to another team."))


def _ensure_holder(*, lead, actor):
    """Only the qualifier holding the lead (or the team lead) acts on it."""
    _ensure_team_member(lead=lead, actor=actor)
    if lead.qualifier_id == actor.pk or roles.has_role(actor, roles.QUALIFICATION_LEAD, roles.DIRECTOR):
        return
    raise PermissionRefused(_("This lead is held by another qualifier."))


def lead_claim(*, lead_id: int, actor) -> Lead:
    """Take a new lead. Of two people claiming at once exactly one wins; the other gets AlreadyClaimed."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_team_member(lead=lead, actor=actor)
        if lead.status != LeadStatus.NEW or lead.qualifier_id is not None:
            if lead.qualifier_id == actor.pk:
                return lead
            raise AlreadyClaimed()

        def prepare(locked):
            locked.qualifier = actor

        return lead_transition(lead=lead, name="claim", actor=actor, prepare=prepare)


def lead_qualify(*, lead_id: int, actor, note: str = "") -> Lead:
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        return lead_transition(lead=lead, name="qualify", actor=actor, description=note)


def lead_disqualify(*, lead_id: int, actor, reason: Reason, note: str = "") -> Lead:
    if reason is None or reason.kind != Reason.Kind.DISQUALIFY:
        raise TransitionRefused(_("Choose a disqualification reason."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)

        def prepare(locked):
            locked.disqualify_reason = reason
            if locked.qualifier_id is None:
                locked.qualifier = actor

        description = f"{reason.title}. {note}".strip() if note else reason.title
        return lead_transition(lead=lead, name="disqualify", actor=actor, prepare=prepare, description=description)


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


def lead_hand_off(*, lead_id: int, actor, sales_rep, note: str = "") -> Lead:
    """Hand a qualified lead to a rep who is active, available and on the team's sales team."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        _ensure_holder(lead=lead, actor=actor)
        team = Team.objects.select_related("sales_team").get(pk=lead.qualification_team_id)
        if team.sales_team is None:
            raise TransitionRefused(_("The team has no sales team to hand off to."))
        if sales_rep is None or not eligible_sales_reps(sales_team=team.sales_team).filter(pk=sales_rep.pk).exists():
            raise TransitionRefused(_("Choose an active, available sales rep of %(team)s.") % {"team": team.sales_team})
        now = timezone.now()
        due = WorkCalendar.for_team(team.sales_team).add_working_minutes(now, team.sales_team.acceptance_window_minutes)

        def prepare(locked):
            locked.sales_rep = sales_rep
            locked.handed_off_by = actor

        return lead_transition(
            lead=lead,
            name="hand_off",
            actor=actor,
            prepare=prepare,
            description=note or _("To %(rep)s") % {"rep": sales_rep.get_full_name() or sales_rep.username},
            at=now,
            acceptance_due_at=due,
        )
