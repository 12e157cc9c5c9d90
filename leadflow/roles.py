"""Roles are Django groups. These predicates are the transition permissions of the Lead FSM.

Object-level rules (whose lead it is) live in the services; these say what a role may do at all.
"""

from django.utils.translation import gettext_lazy as _

QUALIFIER = "qualifier"
QUALIFICATION_LEAD = "qualification_lead"
SALES_REP = "sales_rep"
SALES_MANAGER = "sales_manager"
DIRECTOR = "director"

ROLE_LABELS = {
    QUALIFIER: _("Qualifier"),
    QUALIFICATION_LEAD: _("Qualification lead"),
    SALES_REP: _("Sales rep"),
    SALES_MANAGER: _("Sales manager"),
    DIRECTOR: _("Director"),
}
ALL_ROLES = tuple(ROLE_LABELS)


def user_roles(user):
    """The user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_leadflow_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._leadflow_roles = cached
    return cached


def has_role(user, *names):
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & set(names))


def can_qualify(instance, user):
    return has_role(user, QUALIFIER, QUALIFICATION_LEAD)


def can_manage_queue(instance, user):
    return has_role(user, QUALIFICATION_LEAD, DIRECTOR)


def can_sell(instance, user):
    return has_role(user, SALES_REP, SALES_MANAGER)


def can_correct_deals(instance, user):
    """Correct or reopen a closed deal: the sales manager and the director (not the rep who closed it)."""
    return has_role(user, SALES_MANAGER, DIRECTOR)


def can_arbitrate(instance, user):
    return has_role(user, SALES_MANAGER, QUALIFICATION_LEAD, DIRECTOR)


def can_use_two_factor(user):
    """Managers, the director and admins may turn on two-factor sign-in (and may be required to)."""
    return has_role(user, QUALIFICATION_LEAD, SALES_MANAGER, DIRECTOR)


def can_set_security_policy(user):
    return has_role(user, DIRECTOR)
