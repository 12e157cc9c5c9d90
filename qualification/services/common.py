"""Who may act on a lead, and small helpers shared by the qualification services."""

from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import roles

from ..exceptions import PermissionRefused


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
    if lead.qualifier_id is None:
        raise PermissionRefused(_("Take the lead first: it is not yours yet."))
    raise PermissionRefused(_("This lead is held by another qualifier."))


def _ensure_queue_manager(*, lead, actor):
    _ensure_team_member(lead=lead, actor=actor)
    if not roles.can_manage_queue(lead, actor):
        raise PermissionRefused(_("Only the qualification lead can reassign or release leads."))


def _touch(lead, *, at=None):
    """Activity on a claimed lead renews its claim lease."""
    lead.last_activity_at = at or timezone.now()
    lead.save(update_fields=["last_activity_at", "updated_at"])
