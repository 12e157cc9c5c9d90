"""Leads in qualification: who may see, hold and manage them."""

from django.db.models import Q
from django.utils.translation import gettext as _

from .. import roles
from ..exceptions import LeadNotFound, PermissionRefused
from ..models import Lead
from .people import is_director, is_queue_manager, team_id_of

# --- leads in qualification ------------------------------------------------------------------------


def ensure_team_member(*, lead, actor):
    if is_director(actor):
        return
    profile = getattr(actor, "profile", None)
    if profile is None or profile.team_id != lead.qualification_team_id:
        raise PermissionRefused(_("This lead belongs to another team."))


def ensure_holder(*, lead, actor):
    """Only the qualifier holding the lead (or the team lead) acts on it."""
    ensure_team_member(lead=lead, actor=actor)
    if lead.qualifier_id == actor.pk or roles.has_role(actor, roles.QUALIFICATION_LEAD, roles.DIRECTOR):
        return
    if lead.qualifier_id is None:
        raise PermissionRefused(_("Take the lead first: it is not yours yet."))
    raise PermissionRefused(_("This lead is held by another qualifier."))


def ensure_queue_manager(*, lead, actor):
    ensure_team_member(lead=lead, actor=actor)
    if not roles.can_manage_queue(lead, actor):
        raise PermissionRefused(_("Only the qualification lead can reassign or release leads."))


def ensure_may_view_lead(*, lead, actor):
    """The lead card: the team lead any lead of the team, a qualifier the unclaimed ones and those they
    hold or handed off, the director every lead."""
    if is_director(actor):
        return
    if team_id_of(actor) != lead.qualification_team_id:
        raise PermissionRefused(_("This lead belongs to another team."))
    if is_queue_manager(actor):
        return
    if lead.qualifier_id in (None, actor.pk) or lead.handed_off_by_id == actor.pk:
        return
    raise PermissionRefused(_("This lead is held by another qualifier."))


def lead_for_actor(*, lead_id, actor, queryset=None, load=None):
    """The lead if `actor` may open its card; LeadNotFound or PermissionRefused otherwise. `load(lead_id)`
    (the lead or None) replaces the lookup in `queryset` (the card's precompiled read)."""
    if load is not None:
        lead = load(lead_id)
    else:
        lead = (queryset if queryset is not None else Lead.objects).filter(pk=lead_id).first()
    if lead is None:
        raise LeadNotFound()
    ensure_may_view_lead(lead=lead, actor=actor)
    return lead


def queue_leads_scope(user):
    """The leads a person may see in the qualification workspace (admin, exports)."""
    if is_director(user):
        return Q()
    team_id = team_id_of(user)
    if team_id is None:
        return Q(pk__in=[])
    in_team = Q(qualification_team_id=team_id)
    if is_queue_manager(user):
        return in_team
    return in_team & (Q(qualifier__isnull=True) | Q(qualifier_id=user.pk) | Q(handed_off_by_id=user.pk))
