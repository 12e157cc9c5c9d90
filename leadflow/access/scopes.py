"""Scopes: whose rows a person sees outside their workspace pages (the admin, exports)."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from .. import roles
from ..models import Lead, Team
from .deals import qualification_team_ids_led_by
from .people import is_director, team_id_of

# --- scopes: whose rows a person sees outside their workspace pages (the admin, exports) ------------

NOTHING = Q(pk__in=[])


def team_ids_of(user):
    """The teams a person answers for: their own, the ones they lead, and the other side of the hand-off
    (a qualification lead sees the sales team theirs feeds; a sales manager the teams feeding theirs)."""
    own = set(Team.objects.filter(Q(members__user=user) | Q(lead=user)).values_list("pk", "kind", "sales_team_id"))
    ids = {pk for pk, _kind, _sales in own}
    if roles.has_role(user, roles.QUALIFICATION_LEAD):
        ids |= {sales for _pk, kind, sales in own if kind == Team.Kind.QUALIFICATION and sales}
    if roles.has_role(user, roles.SALES_MANAGER):
        sales_ids = [pk for pk, kind, _sales in own if kind == Team.Kind.SALES]
        ids |= set(Team.objects.filter(sales_team_id__in=sales_ids).values_list("pk", flat=True))
    return frozenset(ids)


def teams_scope(user, *, field="pk"):
    """Rows of the teams a person answers for; `field` is the team's pk or a foreign key to it."""
    if is_director(user):
        return Q()
    return Q(**{f"{field}__in": team_ids_of(user)})


def people_scope(user, *, prefix=""):
    """People of the teams a person answers for, and the person themself."""
    if is_director(user):
        return Q()
    return Q(**{f"{prefix}profile__team_id__in": team_ids_of(user)}) | Q(**{f"{prefix}pk": user.pk})


def leads_scope(user, *, prefix=""):
    """The leads a person may see: the director every lead; the qualification lead the leads of the
    teams they lead; the sales manager the leads their sales team works (its reps' deals, and the leads
    of the qualification teams that feed it); a qualifier the leads of their queue; a rep their deals.
    `prefix` reaches the lead from a related model ("lead__")."""
    if is_director(user):
        return Q()

    def q(**lookups):
        return Q(**{f"{prefix}{key}": value for key, value in lookups.items()})

    scope = NOTHING
    team_id = team_id_of(user)
    if roles.has_role(user, roles.QUALIFICATION_LEAD):
        scope |= q(qualification_team_id__in=qualification_team_ids_led_by(user))
    if roles.has_role(user, roles.SALES_MANAGER) and team_id is not None:
        # the feeding teams' leads before a rep has them, and the deals of the team's own reps (a lead the
        # shared qualification team routed to another sales team is that team's)
        scope |= q(qualification_team__sales_team_id=team_id, sales_rep__isnull=True)
        scope |= q(sales_rep__profile__team_id=team_id)
    if roles.has_role(user, roles.QUALIFIER) and team_id is not None:
        mine = q(qualifier__isnull=True) | q(qualifier_id=user.pk) | q(handed_off_by_id=user.pk)
        scope |= q(qualification_team_id=team_id) & mine
    if roles.has_role(user, roles.SALES_REP):
        scope |= q(sales_rep_id=user.pk)
    return scope


def lead_history_scope(user):
    """History rows (django-fsm-log, keyed by the lead's id) of the leads the person may see."""
    if is_director(user):
        return Q()
    return Q(object_id__in=Lead.objects.filter(leads_scope(user)).values("pk"))


def row_team_id(obj):
    """The team a row belongs to, read from the row itself (not through the scopes above): the audit
    view of them in tests/security/test_admin_matrix.py and bench/admin_crawl.py. None for reference
    data that belongs to no team."""
    label = obj._meta.label
    if isinstance(obj, Lead):
        return obj.qualification_team_id
    if label == "django_fsm_log.StateLog":
        return Lead.objects.filter(pk=obj.object_id).values_list("qualification_team_id", flat=True).first()
    if label == "leadflow.Team":
        return obj.pk
    if label == "leadflow.Profile":
        return obj.team_id
    if label == get_user_model()._meta.label:
        return team_id_of(obj)
    if label == "leadflow.Notification":
        return team_id_of(obj.recipient)
    if getattr(obj, "lead_id", None) is not None:
        return obj.lead.qualification_team_id
    return getattr(obj, "team_id", None)


def own_rows_scope(user, *, field):
    """Rows that belong to the person (their notifications, say)."""
    return Q() if is_director(user) else Q(**{f"{field}_id": user.pk})


def everyone_scope(user):
    """Reference data (sources, reasons, tags): every staff member with the view permission sees it."""
    return Q()


def director_only_scope(user):
    return Q() if is_director(user) else NOTHING
