"""Call quality reviews: who reviews whose calls, and who acknowledges a review."""

from django.utils.translation import gettext as _

from .. import roles
from ..exceptions import PermissionRefused
from .deals import qualification_team_ids_led_by
from .people import is_director

# --- call quality reviews --------------------------------------------------------------------------


def may_review_calls(user):
    """Review the qualifiers' calls against the script: the qualification lead and the director."""
    return is_director(user) or roles.has_role(user, roles.QUALIFICATION_LEAD)


def review_team_ids(user):
    """The qualification teams whose calls `user` reviews: None = every team (the director)."""
    if is_director(user):
        return None
    if roles.has_role(user, roles.QUALIFICATION_LEAD):
        return qualification_team_ids_led_by(user)
    return frozenset()


def ensure_may_review(*, team_id, actor):
    if not may_review_calls(actor):
        raise PermissionRefused(_("Only the qualification lead reviews the team's calls."))
    scope = review_team_ids(actor)
    if scope is not None and team_id not in scope:
        raise PermissionRefused(_("These calls belong to another team."))


def ensure_own_review(*, review, actor):
    """Only the qualifier whose call was reviewed acknowledges the review."""
    if review.qualifier_id != actor.pk:
        raise PermissionRefused(_("This review is about another qualifier's call."))
