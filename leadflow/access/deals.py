"""Deals: who works, sees, corrects and books them, and who arbitrates their disputes."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .. import roles
from ..exceptions import LeadNotFound, PermissionRefused
from ..models import Lead, LeadStatus, Profile, Team
from .leads import ensure_may_view_lead
from .people import is_board_manager, is_director, member_team_id

# --- deals -----------------------------------------------------------------------------------------


def managed_sales_team_id(user):
    """The one sales team whose deals and disputes a sales manager works (their profile's team), or None
    for every team: the director, and a sales manager who belongs to no team (one-team installations)."""
    if is_director(user) or not roles.has_role(user, roles.SALES_MANAGER):
        return None
    return member_team_id(user)


def may_work_deal(user, lead):
    """A rep their own deals; the sales manager the deals of their team's reps; the director every deal."""
    if lead.sales_rep_id is not None and lead.sales_rep_id == user.pk:
        return True
    if not is_board_manager(user):
        return False
    team_id = managed_sales_team_id(user)
    if team_id is None or lead.sales_rep_id is None:
        return True
    return Profile.objects.filter(user_id=lead.sales_rep_id, team_id=team_id).exists()


def ensure_deal_owner(*, lead, actor):
    """A rep acts only on their own deals; the sales manager on their team's; the director on every deal."""
    if not may_work_deal(actor, lead):
        raise PermissionRefused(_("This deal belongs to another sales rep."))


def deal_for_actor(*, lead_id, actor, queryset=None):
    """The deal if `actor` may work it; LeadNotFound or PermissionRefused otherwise."""
    lead = (queryset if queryset is not None else Lead.objects).filter(pk=lead_id).first()
    if lead is None:
        raise LeadNotFound()
    ensure_deal_owner(lead=lead, actor=actor)
    return lead


def day_rep_for_actor(*, actor, rep_id=""):
    """Whose day ("Сегодня", the visits of one day) a person opens: a rep only their own; the sales
    manager and the director any rep's (`rep_id`), or every rep's when none is asked for (None)."""
    wanted = str(rep_id or "")
    if is_board_manager(actor):
        if not wanted:
            return None
        rep = (
            get_user_model().objects.filter(pk=wanted, groups__name=roles.SALES_REP).first()
            if wanted.isdigit()
            else None
        )
        if rep is None:
            raise PermissionRefused(_("There is no such sales rep."))
        return rep
    if not roles.has_role(actor, roles.SALES_REP):
        raise PermissionRefused(_("This page shows a sales rep's visits."))
    if wanted and wanted != str(actor.pk):
        raise PermissionRefused(_("You can only see your own day."))
    return actor


def may_see_deal_files(user, lead):
    """A deal's photos and sketches: whoever works the deal (its rep, the sales manager, the director)
    and, once the hand-off was disputed, its arbiters (the qualification lead of the lead's team)."""
    if not user.is_authenticated:
        return False
    if is_director(user) or may_work_deal(user, lead):
        return True
    return arbitrates_disputes_of(user, lead)


def arbitrates_disputes_of(user, lead):
    """The lead's hand-off was disputed and `user` decides its team's disputes."""
    if not may_arbitrate(user) or not lead.disputes.exists():
        return False
    scope = arbitration_scope(user)
    if roles.has_role(user, roles.SALES_MANAGER) and not may_work_deal(user, lead):
        return False
    return scope is None or lead.qualification_team_id in scope


def ensure_may_see_deal_files(*, lead, actor):
    if not may_see_deal_files(actor, lead):
        raise PermissionRefused(_("Only the people working this deal can see its photos."))


def may_hear_calls(user, lead):
    """A lead's call recordings: whoever may open its card (the qualifier holding or handing it off,
    the qualification lead of its team, the director), the sales side once it was handed off (its rep,
    the sales manager), and the arbiters of its disputes."""
    if not user.is_authenticated:
        return False
    if is_director(user):
        return True
    try:
        ensure_may_view_lead(lead=lead, actor=user)
        return True
    except PermissionRefused:
        pass
    if lead.sales_rep_id is not None and may_work_deal(user, lead):
        return True
    return arbitrates_disputes_of(user, lead)


def ensure_may_hear_calls(*, lead, actor):
    if not may_hear_calls(actor, lead):
        raise PermissionRefused(_("Only the people working this lead can listen to its calls."))


def may_correct_deal(user, lead):
    """Correct a closed deal's amount or date, or put it back in work: the sales manager and director."""
    return lead.status in (LeadStatus.WON, LeadStatus.LOST) and is_board_manager(user)


def ensure_may_correct_deal(*, lead, actor):
    if not is_board_manager(actor):
        raise PermissionRefused(_("Only the sales manager or the director can correct a closed deal."))


def ensure_visit_rep(*, visit, actor, lead=None):
    """A visit is moved by whoever may work its deal (`lead`: the locked row, else the visit's), or by
    the rep who goes there."""
    if not (may_work_deal(actor, lead or visit.lead) or visit.rep_id == actor.pk):
        raise PermissionRefused(_("This deal belongs to another sales rep."))


def ensure_may_book(*, lead, actor):
    """A measurement visit. Before the hand-off: the qualifier holding the lead (or their qualification
    lead); after it: the deal's rep or the sales manager."""
    if is_board_manager(actor):
        return
    if lead.status == LeadStatus.HANDED_OFF:
        if lead.sales_rep_id == actor.pk:
            return
        raise PermissionRefused(_("This deal belongs to another sales rep."))
    if lead.qualifier_id == actor.pk:
        return
    if roles.has_role(actor, roles.QUALIFICATION_LEAD) and lead.qualification_team_id in qualification_team_ids_led_by(
        actor
    ):
        return
    raise PermissionRefused(_("Only the qualifier holding the lead can book its measurement."))


# --- arbitration -----------------------------------------------------------------------------------


def qualification_team_ids_led_by(actor):
    """The qualification teams a qualification lead answers for: their own team and any team they lead."""
    profile_team = Team.objects.filter(members__user=actor, kind=Team.Kind.QUALIFICATION).values_list("pk", flat=True)
    led = Team.objects.filter(lead=actor, kind=Team.Kind.QUALIFICATION).values_list("pk", flat=True)
    return frozenset(profile_team) | frozenset(led)


def arbitration_scope(actor):
    """The qualification teams whose disputes `actor` decides: None = every team (the sales manager,
    who works the whole board, and the director); a qualification lead only their own team's."""
    if actor.is_superuser or roles.has_role(actor, roles.SALES_MANAGER, roles.DIRECTOR):
        return None
    return qualification_team_ids_led_by(actor)


def may_arbitrate(actor):
    return roles.can_arbitrate(None, actor)


def ensure_arbiter(actor, *, lead=None):
    if not may_arbitrate(actor):
        raise PermissionRefused(_("Only the sales manager or the qualification lead can arbitrate disputes."))
    scope = arbitration_scope(actor) if lead is not None else None
    if scope is not None and lead.qualification_team_id not in scope:
        raise PermissionRefused(_("This dispute is about a lead of another qualification team."))
    if lead is not None and roles.has_role(actor, roles.SALES_MANAGER) and not may_work_deal(actor, lead):
        raise PermissionRefused(_("This dispute is about a deal of another sales team."))
