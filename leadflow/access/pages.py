"""Personal data, reports, exports, the staffing planner and the installation setup."""

from django.db.models import Q
from django.utils.translation import gettext as _

from .. import roles
from ..exceptions import PermissionRefused
from ..models import Team
from .people import is_director

# --- personal data (152-ФЗ) ------------------------------------------------------------------------


def may_handle_personal_data(user):
    """A person's data request (export, erasure) is the director's: the operator answers for it."""
    return is_director(user)


def ensure_may_handle_personal_data(actor):
    if not may_handle_personal_data(actor):
        raise PermissionRefused(_("Only the director handles personal data requests."))


# --- reports ---------------------------------------------------------------------------------------


def may_view_reports(user):
    """The team dashboards: the team leads, the sales manager and the director (everyone has My stats)."""
    return roles.has_role(user, roles.QUALIFICATION_LEAD, roles.SALES_MANAGER, roles.DIRECTOR)


def may_view_company_spend(user):
    """Marketing spend and the source economics built on it: the company's money, not a team's, so
    the director and superusers only (team leads see their own team's payroll on the economics page,
    but spend has no team to scope it to)."""
    return is_director(user)


# --- exports ---------------------------------------------------------------------------------------
# What an export holds decides who may download it (issue 12 §3): a list of clients with their
# contacts is how a client base leaves the company.
EXPORT_OWN = "own"  # the person's own figures ("My stats")
EXPORT_TEAM = "team"  # aggregated figures of the teams in the viewer's report scope
EXPORT_CONTACTS = "contacts"  # leads with name, phone, e-mail, address
EXPORT_COMPANY = "company"  # the company's money beyond payroll: marketing spend, source economics


def may_export_contacts(user):
    """Sales managers, qualification leads (the report scope limits the rows to their team), the
    director and superusers; never qualifiers or sales reps."""
    return is_director(user) or roles.has_role(user, roles.SALES_MANAGER, roles.QUALIFICATION_LEAD)


def ensure_may_export(user, *, kind):
    if kind == EXPORT_OWN and user.is_authenticated:
        return
    if kind == EXPORT_TEAM and may_view_reports(user):
        return
    if kind == EXPORT_CONTACTS and may_export_contacts(user):
        return
    if kind == EXPORT_COMPANY and may_view_company_spend(user):
        return
    if kind == EXPORT_COMPANY:
        raise PermissionRefused(_("Marketing spend is for the director."))
    if kind == EXPORT_CONTACTS:
        raise PermissionRefused(_("Only managers and the director export client contacts."))
    raise PermissionRefused(_("You may export only your own figures."))


def ensure_may_read_export_log(user):
    if not is_director(user):
        raise PermissionRefused(_("The export log is for the director."))


# --- the roster and the staffing planner -----------------------------------------------------------


def planned_team_ids(user):
    """The qualification teams whose roster and staffing a person plans: every team for the director
    (None), their own for a qualification lead, none for anyone else (an empty set)."""
    if is_director(user):
        return None
    if not roles.has_role(user, roles.QUALIFICATION_LEAD):
        return frozenset()
    return frozenset(
        Team.objects.filter(Q(members__user=user) | Q(lead=user), kind=Team.Kind.QUALIFICATION).values_list(
            "pk", flat=True
        )
    )


def may_plan_staffing(user):
    team_ids = planned_team_ids(user)
    return team_ids is None or bool(team_ids)


def ensure_may_plan_team(*, team, actor):
    team_ids = planned_team_ids(actor)
    if team.kind != Team.Kind.QUALIFICATION or (team_ids is not None and team.pk not in team_ids):
        raise PermissionRefused(_("Only the team's qualification lead and the director plan its roster."))


# --- installation setup ----------------------------------------------------------------------------


def may_set_up(user):
    """The business preset and the teams of the installation (the first-run wizard) are the director's."""
    return user.is_authenticated and is_director(user)


def ensure_may_set_up(actor):
    if not may_set_up(actor):
        raise PermissionRefused(_("Only the director sets up the installation."))
