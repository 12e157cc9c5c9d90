"""Thin views: read the filters, call one page builder (reports.pages → selectors), render or export.

Every table of every page is exported with ?export=csv|xlsx&table=<slug> and the same filters.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow import access, roles

from . import drilldown, pages, selectors
from .access import reports_required
from .exports import export_response
from .forms import PilotForm, ReportFilterForm

TABS = [
    ("reports:funnel", gettext_lazy("Funnel")),
    ("reports:speed", gettext_lazy("Speed to lead")),
    ("reports:handoff", gettext_lazy("Hand-off quality")),
    ("reports:reviews", gettext_lazy("Call reviews")),
    ("reports:disqualified", gettext_lazy("Disqualification")),
    ("reports:sales", gettext_lazy("Sales")),
    ("reports:economics", gettext_lazy("Economics")),
    ("reports:pilot", gettext_lazy("Pilot comparison")),
    ("reports:leads", gettext_lazy("Leads")),
    ("reports:my", gettext_lazy("My stats")),
]


# the filters that mean the same on every tab (each page has its own "split by"); the last chosen
# are kept in the session for a tab opened without any
PERIOD_KEYS = ("preset", "start", "end", "team", "person", "source", "region")
PILOT_KEYS = ("a_start", "a_end", "b_start", "b_end")  # the pilot's two periods (its drill-down keeps them)
SESSION_KEY = "reports_period"


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
        tabs=TABS,
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
            "tabs": TABS,
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
