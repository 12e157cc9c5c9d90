"""Thin views: read the filters, call one page builder (reports.pages → selectors), render or export.

Every table of every page is exported with ?export=csv|xlsx&table=<slug> and the same filters.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leadflow import access, roles, services
from leadflow.importing import ImportFileError
from leadflow.models import Shift

from . import criteria as criteria_pages
from . import drilldown, pages, selectors
from .access import (
    company_spend_required,
    criteria_required,
    may_promote_criteria,
    may_view_criteria,
    reports_required,
    staffing_required,
)
from .exports import export_response
from .forms import CounterfactualForm, PilotForm, ReportFilterForm, RuleForm, SpendUploadForm
from .importing import import_spend
from .services import criteria_rule_promote
from .staffing import page as staffing_page
from .staffing.forms import PlannerForm, ShiftForm

TABS = [
    ("reports:funnel", gettext_lazy("Funnel")),
    ("reports:speed", gettext_lazy("Speed to lead")),
    ("reports:handoff", gettext_lazy("Hand-off quality")),
    ("reports:reviews", gettext_lazy("Call reviews")),
    ("reports:disqualified", gettext_lazy("Disqualification")),
    ("reports:sales", gettext_lazy("Sales")),
    ("reports:economics", gettext_lazy("Economics")),
    ("reports:sources", gettext_lazy("Source economics")),
    ("reports:pilot", gettext_lazy("Pilot comparison")),
    ("reports:staffing", gettext_lazy("Staffing")),
    ("reports:criteria", gettext_lazy("Criteria and outcomes")),
    ("reports:leads", gettext_lazy("Leads")),
    ("reports:my", gettext_lazy("My stats")),
]


# the filters that mean the same on every tab (each page has its own "split by"); the last chosen
# are kept in the session for a tab opened without any
PERIOD_KEYS = ("preset", "start", "end", "team", "person", "source", "region")
PILOT_KEYS = ("a_start", "a_end", "b_start", "b_end")  # the pilot's two periods (its drill-down keeps them)
SESSION_KEY = "reports_period"


# tabs with a narrower audience than the reports: who may open them (the page's own check says the same)
TAB_AUDIENCE = {
    "reports:sources": access.may_view_company_spend,  # the company's spend
    "reports:staffing": access.may_plan_staffing,
    "reports:criteria": may_view_criteria,
}


def visible_tabs(user):
    return [(name, label) for name, label in TABS if name not in TAB_AUDIENCE or TAB_AUDIENCE[name](user)]


def _period_data(request):
    """The filters of the request, else the last ones chosen in this session."""
    data = request.GET.copy()
    chosen = {key: data[key] for key in PERIOD_KEYS if data.get(key)}
    if chosen:
        if request.session.get(SESSION_KEY) != chosen:  # written once per new choice, not on every page
            request.session[SESSION_KEY] = chosen
    else:
        for key, value in request.session.get(SESSION_KEY, {}).items():
            data[key] = value
    return data


def _tab_query(data):
    query = QueryDict(mutable=True)
    for key in PERIOD_KEYS:
        if data.get(key):
            query[key] = data[key]
    return query.urlencode()


def _render(request, template, page_name, context):
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in {"csv", "xlsx"}:
            raise Http404(_("Unknown export format."))
        tables = {table.slug: table for table in [*context["tables"], *context.get("own_tables", [])]}
        table = tables.get(request.GET.get("table", ""))
        if table is None:
            raise Http404(_("No such table on this page."))
        return export_response(request, table, fmt, basename=page_name)
    query = getattr(request, "report_data", request.GET).copy()
    query.pop("export", None)
    query.pop("table", None)
    query.pop("page", None)
    context.update(
        tabs=visible_tabs(request.user),
        page_name=page_name,
        querystring=query.urlencode(),
        tab_query=_tab_query(query),
        can_view_reports=access.may_view_reports(request.user),
        can_read_export_log=access.is_director(request.user),
    )
    return render(request, template, context)


def _filter_form(request, group_choices=()):
    request.report_data = _period_data(request)
    return ReportFilterForm(request.report_data or None, scope=request.report_scope, group_choices=group_choices)


def _period_context(form):
    first, last = form.dates()
    return {"form": form, "period_first": first, "period_last": last}


@login_required
def index(request):
    """Team leads, managers and the director start at the funnel; everyone else at their own stats."""
    if access.may_view_reports(request.user):
        return redirect("reports:funnel")
    return redirect("reports:my")


@reports_required
def funnel(request):
    choices = pages.funnel_group_choices()
    form = _filter_form(request, choices)
    context = pages.funnel_page(
        report_filter=form.report_filter(),
        scope=request.report_scope,
        group_by=form.grouping(),
        group_choices=choices,
    )
    context.update(_period_context(form), page_title=_("Funnel"))
    return _render(request, "reports/funnel.html", "funnel", context)


@reports_required
def speed(request):
    form = _filter_form(request, pages.SPEED_GROUPS)
    context = pages.speed_page(report_filter=form.report_filter(), scope=request.report_scope, group_by=form.grouping())
    context.update(_period_context(form), page_title=_("Speed to lead"))
    return _render(request, "reports/speed.html", "speed", context)


@reports_required
def handoff(request):
    form = _filter_form(request)
    context = pages.handoff_page(report_filter=form.report_filter(), scope=request.report_scope)
    context.update(_period_context(form), page_title=_("Hand-off quality"))
    return _render(request, "reports/handoff.html", "handoff", context)


@reports_required
def reviews(request):
    form = _filter_form(request)
    context = pages.reviews_page(report_filter=form.report_filter(), scope=request.report_scope)
    context.update(_period_context(form), page_title=_("Call reviews"))
    return _render(request, "reports/reviews.html", "reviews", context)


@reports_required
def disqualified(request):
    form = _filter_form(request)
    context = pages.disqualified_page(report_filter=form.report_filter(), scope=request.report_scope)
    context.update(_period_context(form), page_title=_("Disqualified leads"))
    return _render(request, "reports/disqualified.html", "disqualified", context)


@reports_required
def sales(request):
    form = _filter_form(request)
    context = pages.sales_page(report_filter=form.report_filter(), scope=request.report_scope)
    context.update(_period_context(form), page_title=_("Sales per rep"))
    return _render(request, "reports/sales.html", "sales", context)


@reports_required
def economics(request):
    form = _filter_form(request)
    context = pages.economics_page(report_filter=form.report_filter(), scope=request.report_scope)
    context.update(_period_context(form), page_title=_("Economics"))
    return _render(request, "reports/economics.html", "economics", context)


SOURCE_FILTERS = ("preset", "start", "end", "source")  # spend belongs to no team, person or region


@company_spend_required
def sources(request):
    """Source economics: spend → leads → deals → revenue, margin and ROMI per source and campaign."""
    form = _filter_form(request)
    for name in [name for name in form.fields if name not in SOURCE_FILTERS]:
        del form.fields[name]
    assumptions = CounterfactualForm(request.GET)
    context = pages.source_economics_page(
        report_filter=form.report_filter(), scope=request.report_scope, counterfactual=assumptions.counterfactual()
    )
    context.update(
        _period_context(form),
        page_title=_("Source economics"),
        assumptions=assumptions,
        period_params=[(key, request.report_data[key]) for key in SOURCE_FILTERS if request.report_data.get(key)],
    )
    return _render(request, "reports/sources.html", "sources", context)


@company_spend_required
def spend_import(request):
    """Upload a CSV/XLSX file of marketing spend → every row checked and saved → a report of every row."""
    report = None
    if request.method == "POST":
        form = SpendUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = import_spend(upload, actor=request.user, filename=upload.name)
            except ImportFileError as exc:
                form.add_error("file", str(exc))
    else:
        form = SpendUploadForm()
    context = {
        "form": form,
        "report": report,
        "summary": report.summary if report else None,
        "page_title": _("Import marketing spend"),
        "tabs": visible_tabs(request.user),
        "can_view_reports": True,
        "can_read_export_log": access.is_director(request.user),
    }
    return render(request, "reports/spend_import.html", context)


@reports_required
def pilot(request):
    form = PilotForm(request.GET or None, initial=PilotForm.defaults())
    filters = _filter_form(request)
    period_a, period_b = form.periods()
    context = pages.pilot_page(
        period_a=period_a, period_b=period_b, report_filter=filters.report_filter(), scope=request.report_scope
    )
    one_day = timedelta(days=1)
    context.update(
        pilot_form=form,
        a_first=timezone.localtime(period_a.start).date(),
        a_last=timezone.localtime(period_a.end - one_day).date(),
        b_first=timezone.localtime(period_b.start).date(),
        b_last=timezone.localtime(period_b.end - one_day).date(),
        page_title=_("Pilot comparison"),
    )
    return _render(request, "reports/pilot.html", "pilot", context)


@reports_required
def leads(request):
    """The leads of the period with their contacts, for the managers' export (logged); with
    ?figure=<key>[&group_by=…&dim=…] only the leads behind that figure of a dashboard (drill-down)."""
    form = _filter_form(request)
    report_filter = form.report_filter()
    drill = None
    figure = request.GET.get("figure")
    if figure:
        try:
            drill = drilldown.drilldown(
                figure=figure,
                report_filter=report_filter,
                scope=request.report_scope,
                group_by=request.GET.get("group_by"),
                dim=request.GET.get("dim"),
                query=request.GET,
            )
        except KeyError:
            raise Http404(_("No such figure on the dashboards.")) from None
        back = QueryDict(mutable=True)
        for key in (*PERIOD_KEYS, "group_by", *PILOT_KEYS):
            if request.GET.get(key):
                back[key] = request.GET[key]
        drill["params"] += [(key, request.GET[key]) for key in PILOT_KEYS if request.GET.get(key)]
        drill["back_url"] += f"?{back.urlencode()}"
    context = pages.leads_page(
        report_filter=report_filter, scope=request.report_scope, drill=drill, page_number=request.GET.get("page")
    )
    context.update(_period_context(form), page_title=_("Leads with contacts"))
    return _render(request, "reports/leads.html", "leads", context)


@login_required
def my_leads(request):
    """The leads behind one of the person's own figures on My stats (?figure=my.<key>&dim=day|month):
    everyone's own, never another person's; the export leaves the clients' contacts out."""
    try:
        drill = drilldown.own_drill(
            figure=request.GET.get("figure", ""), user=request.user, side=request.GET.get("dim")
        )
    except KeyError:
        raise Http404(_("No such figure on the dashboards.")) from None
    context = pages.leads_page(
        report_filter=None, scope=None, drill=drill, page_number=request.GET.get("page"), contacts=False
    )
    context["hidden"] = drill["counted"].count() - context["count"]
    context["page_title"] = _("My leads")
    return _render(request, "reports/leads.html", "my-leads", context)


@login_required
def exports_log(request):
    """The export log for the director: who downloaded what, when, how many rows."""
    access.ensure_may_read_export_log(request.user)
    page = Paginator(selectors.export_log(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/exports_log.html",
        {
            "page_obj": page,
            "page_title": _("Export log"),
            "tabs": visible_tabs(request.user),
            "can_view_reports": True,
            "can_read_export_log": True,
        },
    )


@login_required
def my_stats(request):
    """Own day and month for everyone; team leads and managers also see their team, the director all."""
    user = request.user
    own = selectors.own_stats(user=user)
    context = {"own": own, "page_title": _("My stats"), "tables": []}
    if access.may_view_reports(user):
        from .access import report_scope

        rows = selectors.team_stats(scope=report_scope(user))
        context["tables"] = [pages.team_stats_table(rows)]
    context["today"] = timezone.localdate()
    context["is_qualifier"] = roles.has_role(user, roles.QUALIFIER, roles.QUALIFICATION_LEAD)
    context["is_rep"] = roles.has_role(user, roles.SALES_REP, roles.SALES_MANAGER)
    context["own_tables"] = [pages.own_stats_table(own, qualifier=context["is_qualifier"], rep=context["is_rep"])]
    context["own_sides"] = [("day", _("Today"), own["day"]), ("month", _("This month"), own["month"])]
    return _render(request, "reports/my.html", "my", context)


# --- the staffing planner (reports.staffing, docs/staffing.md) ----------------------------------------


def _planner_team(request, form):
    team = form.chosen_team()
    if team is None:
        raise Http404(_("No qualification team to plan."))
    return team


@staffing_required
def staffing(request):
    """The week heat map of required vs rostered qualifiers; the what-if is a GET (nothing saved)."""
    form = PlannerForm(request.GET or None, teams=request.planned_teams)
    team = _planner_team(request, form)
    valid = bool(request.GET) and form.is_valid()  # an invalid what-if shows the roster as it is
    target = form.target_share() if valid else staffing_page.DEFAULT_TARGET
    sla = form.sla_minutes(team) if valid else team.sla_warn_minutes
    roster = staffing_page.roster_of(team)
    what_if = None
    if valid and form.has_what_if():
        move_id, move_to = form.moved()
        what_if = staffing_page.what_if_roster(
            roster, add=form.added_shift(), add_count=form.added_count(), move_id=move_id, move_to=move_to
        )
    context = staffing_page.planner_page(team=team, target=target, sla_minutes=sla, roster=roster, what_if=what_if)
    context.update(
        planner_form=form,
        what_if=what_if is not None,
        apply_query=request.GET.urlencode(),
        apply_fields=[(key, value) for key, value in request.GET.items() if key in form.fields and value],
        members=_team_members(team),
        page_title=_("Staffing planner"),
    )
    template = "reports/_staffing_plan.html" if request.headers.get("HX-Request") else "reports/staffing.html"
    return _render(
        request, template, "staffing", {**context, "tables": [], "own_tables": staffing_page.planner_tables(context)}
    )


def _team_members(team):
    from leadflow.people import display_name

    users = get_user_model().objects.filter(profile__team=team, is_active=True).order_by("last_name", "first_name")
    return [(user.pk, display_name(user)) for user in users]


@require_POST
@staffing_required
def staffing_apply(request):
    """Save the what-if into the roster: the added shift for the chosen qualifier, the moved shift."""
    form = PlannerForm(request.POST, teams=request.planned_teams)
    team = _planner_team(request, form)
    back = f"{reverse('reports:staffing')}?{request.POST.get('query', '')}"
    if not form.is_valid() or not form.has_what_if():
        messages.error(request, _("Nothing to apply: add or move a shift first."))
        return redirect(back)
    added = form.added_shift()
    move_id, move_to = form.moved()
    person = None
    if added is not None:
        person = get_user_model().objects.filter(pk=request.POST.get("person") or 0, profile__team=team).first()
        if person is None or form.added_count() != 1:
            messages.error(request, _("To apply an added shift, choose the one qualifier who works it."))
            return redirect(back)
    if added is not None:
        services.shift_create(
            actor=request.user,
            team=team,
            user=person,
            weekday=added.weekday,
            starts_at=_time_of(added.start),
            ends_at=_time_of(added.end),
        )
    if move_id is not None:
        services.shift_update(
            actor=request.user,
            shift=form.cleaned_data["move_shift"],
            weekday=move_to.weekday,
            starts_at=_time_of(move_to.start),
            ends_at=_time_of(move_to.end),
        )
    messages.success(request, _("The roster is saved."))
    return redirect(f"{reverse('reports:staffing')}?team={team.pk}")


def _time_of(minutes):
    from datetime import time

    return time(minutes // 60, minutes % 60)


@staffing_required
def staffing_roster(request):
    """The team's shifts: add one (POST), remove one (staffing_shift_delete)."""
    form_team = PlannerForm(request.GET or None, teams=request.planned_teams)
    team = _planner_team(request, form_team)
    form = ShiftForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        services.shift_create(actor=request.user, team=team, **form.cleaned_data)
        messages.success(request, _("The shift is added."))
        return redirect(f"{reverse('reports:staffing-roster')}?team={team.pk}")
    shifts = Shift.objects.filter(team=team).select_related("user").order_by("weekday", "starts_at", "pk")
    context = {
        "team": team,
        "team_form": form_team,
        "form": form,
        "shifts": shifts,
        "page_title": _("Roster"),
        "tables": [],
    }
    return _render(request, "reports/staffing_roster.html", "staffing-roster", context)


@require_POST
@staffing_required
def staffing_shift_delete(request, pk):
    shift = get_object_or_404(Shift.objects.select_related("team"), pk=pk, team__in=request.planned_teams)
    services.shift_delete(actor=request.user, shift=shift)
    messages.success(request, _("The shift is removed."))
    return redirect(f"{reverse('reports:staffing-roster')}?team={shift.team_id}")


@staffing_required
def staffing_backtest(request):
    """The planner against history: the last full month, predicted vs measured share within the warning."""
    form = PlannerForm(request.GET or None, teams=request.planned_teams)
    team = _planner_team(request, form)
    context = staffing_page.backtest(team=team)
    context.update(
        planner_form=form,
        page_title=_("Staffing planner: check against history"),
        tables=[],
        own_tables=staffing_page.backtest_tables(context),
    )
    return _render(request, "reports/staffing_backtest.html", "staffing-backtest", context)


@criteria_required
def criteria(request):
    """Criteria and outcomes: every answer and attribute against the rest; with a rule in the query
    (?target=…&operator=…&value=…&action=…&months=…) its effect on the last months."""
    form = _filter_form(request)
    report_filter = form.report_filter()
    context = criteria_pages.criteria_page(report_filter=report_filter, scope=request.report_scope)
    rule_form = RuleForm(request.GET if "target" in request.GET else None, scope=request.report_scope)
    if rule_form.is_bound and rule_form.is_valid():
        team = rule_form.cleaned_data.get("checklist_team")
        context.update(
            criteria_pages.whatif_context(
                rule=rule_form.cleaned_data["rule"],
                scope=request.report_scope,
                team_id=team.pk if team else report_filter.team_id,
            ),
            rule_text=rule_form.cleaned_data["text"],
            promotable=rule_form.promotion() is not None,
        )
    context.update(
        _period_context(form),
        rule_form=rule_form,
        period_keys=PERIOD_KEYS,
        may_promote=may_promote_criteria(request.user),
        promoted=criteria_pages.promoted_rules(scope=request.report_scope),
        page_title=_("Criteria and outcomes"),
    )
    return _render(request, "reports/criteria.html", "criteria", context)


@require_POST
@criteria_required
def criteria_promote(request):
    """Promote the rule of the form into a new checklist version (the director only)."""
    if not may_promote_criteria(request.user):
        raise PermissionDenied(_("Only the director changes the qualification criteria."))
    form = RuleForm(request.POST, scope=request.report_scope)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("reports:criteria")
    promotion = form.promotion()
    team = form.cleaned_data.get("checklist_team")
    if team is None:
        teams = list(form.fields["checklist_team"].queryset[:2])
        team = teams[0] if len(teams) == 1 else None
    if promotion is None or team is None:
        messages.error(
            request,
            _("Choose the team.")
            if promotion
            else _(
                "Only a rule on a checklist question with <, ≤, >, ≥ (numbers) or =, ≠, ∈ (options) can be promoted."
            ),
        )
        query = request.POST.copy()
        query.pop("csrfmiddlewaretoken", None)
        return redirect(f"{reverse('reports:criteria')}?{query.urlencode()}")
    rule = form.cleaned_data["rule"]
    effect = criteria_pages.whatif_context(rule=rule, scope=request.report_scope, team_id=team.pk)["effect"]
    code, fail = promotion
    promoted = criteria_rule_promote(
        actor=request.user,
        rule=rule,
        text=form.cleaned_data["text"],
        team_id=team.pk,
        criterion_code=code,
        fail=fail,
        effect=effect,
    )
    messages.success(
        request,
        _("The rule is now checklist version %(version)s of the team «%(team)s».")
        % {"version": promoted.checklist.version, "team": team.name},
    )
    return redirect("reports:criteria")
