"""Who is who: roles, the team a person works in."""

from .. import roles
from ..models import Profile

# --- who is who ------------------------------------------------------------------------------------


def is_director(user):
    return user.is_superuser or roles.has_role(user, roles.DIRECTOR)


def works_queue(user):
    """The qualification queue: qualifiers, their team lead, the director."""
    return roles.has_role(user, roles.QUALIFIER, roles.QUALIFICATION_LEAD, roles.DIRECTOR)


def is_queue_manager(user):
    """Sees the whole team's queue, releases and reassigns: the qualification lead and the director."""
    return roles.has_role(user, roles.QUALIFICATION_LEAD, roles.DIRECTOR)


def works_board(user):
    """The deal board: sales reps, the sales manager, the director."""
    return roles.has_role(user, roles.SALES_REP, roles.SALES_MANAGER, roles.DIRECTOR)


def is_board_manager(user):
    """Works every deal, assigns and reassigns: the sales manager and the director."""
    return roles.has_role(user, roles.SALES_MANAGER, roles.DIRECTOR)


def team_id_of(user):
    return Profile.objects.filter(user_id=user.pk).values_list("team_id", flat=True).first()


def member_team_id(user):
    """The team of `user` through the profile kept on the user object: read once per request and shared
    with `ensure_team_member` ("Next lead" checks both). `team_id_of` reads afresh."""
    profile = getattr(user, "profile", None)
    return profile.team_id if profile is not None else None


def team_of(user):
    profile = Profile.objects.filter(user_id=user.pk).select_related("team").first()
    return profile.team if profile else None
