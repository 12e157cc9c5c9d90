"""Who may see and do what to which lead, deal or team: the one place for these rules.

Views, services, selectors and the admin all ask here (Zulip's `access_*_by_id` helpers are the model):

- `ensure_*` raise `PermissionRefused` with the reason a person reads (services call them, so a rule
  holds whatever the entry point; the view boundary in `leadflow.web` turns the refusal into the 403
  page);
- `*_for_actor` fetch an object and check it in one step (views);
- `may_*` / `is_*` answer yes or no for what a page shows (a button, a column);
- `*_scope` give the querysets' filters (selectors, the admin).

Roles are Django groups (`leadflow.roles`); a superuser passes every role check.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from . import roles
from .exceptions import LeadNotFound, PermissionRefused
from .models import Lead, LeadStatus, Profile, Team

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
