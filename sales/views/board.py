"""The board, the deal page, the closed-deals list and the qualifier's outcomes."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from leadflow import access, live
from leadflow.exceptions import PermissionRefused
from leadflow.models import HandoffState, LeadStatus
from qualification.selectors import call_recordings_of

from .. import kit, selectors
from ..filters import ClosedDealFilter
from ..forms import (
    DealCorrectForm,
    DealReopenForm,
    DisputeForm,
    LoseForm,
    NoShowForm,
    ReassignForm,
    VisitRescheduleForm,
    VisitScheduleForm,
    WinForm,
)
from ..tables import ClosedDealTable
from .common import board_required

POLL_SECONDS = 20


def _board_scope(request):
    """(rep whose board is shown or None for all, reps for the filter); a rep asking for another's is refused."""
    user = request.user
    wanted = request.GET.get("rep", "")
    if access.is_board_manager(user):
        team_id = access.managed_sales_team_id(user)  # a sales manager: their team's reps and deals only
        reps = list(selectors.sales_reps(team=team_id))
        rep = next((r for r in reps if str(r.pk) == wanted), None)
        if rep is None and team_id is not None:
            return selectors.TeamDeals(team_id), reps
        return rep, reps
    if wanted and wanted != str(user.pk):
        raise PermissionRefused(_("You can only see your own deals."))
    return user, []


def _active_column(request, columns):
    """The column a phone shows (one at a time, tabs above): ?column=, else the first open one with cards."""
    keys = [column.key for column in columns]
    wanted = request.GET.get("column", "")
    if wanted in keys:
        return wanted
    return next((c.key for c in columns if c.total and not c.is_closed), keys[0])


def _board_context(request, rep, reps, *, signature=None):
    now = timezone.now()
    columns, page_signature = selectors.board_page(rep=rep, now=now)
    return {
        "columns": columns,
        "active_column": _active_column(request, columns),
        "signature": signature or page_signature,
        "rep": rep,
        "reps": reps,
        "is_manager": access.is_board_manager(request.user),
        "poll_seconds": POLL_SECONDS,
        "now": now,
    }


@board_required
def index(request):
    """The board; a poll gets its columns, or 204 while nothing changed (leadflow/live.py)."""
    rep, reps = _board_scope(request)
    if live.is_poll(request):
        signature = selectors.board_signature(rep=rep)  # computed once: the answer carries it on
        nothing_new = live.unchanged(request, signature)
        context = None if nothing_new else _board_context(request, rep, reps, signature=signature)
        return nothing_new or render(request, "sales/_board.html", context)
    context = _board_context(request, rep, reps)
    context["page_title"] = _("Deal board")
    return render(request, "sales/board.html", context)


@board_required
def column(request, column):
    """ "Show more" of one board column: the next cards (htmx swaps them in for the button), or a page
    of them without JavaScript."""
    if column not in selectors.COLUMN_PAGE:
        raise Http404
    rep, _reps = _board_scope(request)
    try:
        offset = max(int(request.GET.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    cards, total = selectors.board_column_cards(column=column, rep=rep, offset=offset)
    next_offset = offset + len(cards)
    context = {
        "cards": cards,
        "column_key": column,
        "column_title": dict(selectors.COLUMNS)[column],
        "total": total,
        "next_offset": next_offset if next_offset < total else None,
        "more": max(total - next_offset, 0),
        "rep": rep,
        "is_manager": access.is_board_manager(request.user),
        "board_url": reverse("sales:index")
        + (f"?rep={rep.pk}" if rep and access.is_board_manager(request.user) else ""),
        "now": timezone.now(),
    }
    if live.is_poll(request):
        return render(request, "sales/_board_more.html", context)
    context["page_title"] = context["column_title"]
    return render(request, "sales/board_column.html", context)


def deal_forms(lead, *, user, card, bound=None):
    """The forms of the actions the deal allows now (a bound one keeps its errors)."""
    bound = bound or {}
    forms = {}
    is_open_handoff = lead.status == LeadStatus.HANDED_OFF
    if is_open_handoff and lead.handoff_state == HandoffState.PENDING:
        forms["dispute"] = DisputeForm()
    if is_open_handoff and lead.handoff_state != HandoffState.DISPUTED:
        if card.visit is None:
            forms["schedule"] = VisitScheduleForm(initial={"address": lead.address})
        else:
            forms["reschedule"] = VisitRescheduleForm()
            forms["no_show"] = NoShowForm()
        forms["lose"] = LoseForm()
    if lead.status == LeadStatus.MEASURED:
        forms["win"] = WinForm()
        forms["lose"] = LoseForm()
    if access.is_board_manager(user) and lead.status in (LeadStatus.HANDED_OFF, LeadStatus.MEASURED):
        forms["reassign"] = ReassignForm(reps=selectors.sales_reps().exclude(pk=lead.sales_rep_id))
    if access.may_correct_deal(user, lead):
        if lead.status == LeadStatus.WON:
            forms["correct"] = DealCorrectForm(initial={"amount": lead.deal_amount, "deal_date": lead.deal_date})
        forms["reopen"] = DealReopenForm()
    for name, form in bound.items():
        forms[name] = form
    return forms


def render_deal(request, lead_id, *, bound=None, status=200):
    lead, history = selectors.deal_detail(lead_id=lead_id)
    if lead is None:
        raise Http404
    access.ensure_deal_owner(lead=lead, actor=request.user)
    card = selectors.deal_card(lead)
    context = {
        "lead": lead,
        "card": card,
        "history": history,
        "forms": deal_forms(lead, user=request.user, card=card, bound=bound),
        "may_measure": lead.status == LeadStatus.HANDED_OFF and lead.handoff_state != HandoffState.DISPUTED,
        "measured_rows": kit.measured_rows(getattr(lead, "measurement", None)),
        "photos": kit.photos_of([lead.pk]).get(lead.pk, []),
        "recordings": call_recordings_of({lead.pk: lead.handed_off_at}).get(lead.pk, []),
        "is_manager": access.is_board_manager(request.user),
        "page_title": _("Deal %(lead)s") % {"lead": lead},
    }
    return render(request, "sales/deal.html", context, status=status)


@board_required
def deal(request, pk):
    return render_deal(request, pk)


@board_required
def closed(request):
    """Won and lost deals of every month, searchable (the board shows the current month only)."""
    manager = access.is_board_manager(request.user)
    reps = selectors.sales_reps() if manager else None
    team_id = access.managed_sales_team_id(request.user)
    everyone = selectors.TeamDeals(team_id) if team_id is not None else None
    qs = selectors.closed_deals(rep=everyone if manager else request.user)
    filterset = ClosedDealFilter(request.GET or None, queryset=qs, reps=reps)
    table = ClosedDealTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 30}).configure(table)
    return render(request, "sales/closed.html", {"filter": filterset, "table": table, "page_title": _("Closed deals")})


@login_required
def outcomes(request):
    """A qualifier sees what became of the leads they handed off (not the rest of the board)."""
    user = request.user
    if not access.works_queue(user):
        raise PermissionRefused(_("This page shows a qualifier's hand-offs."))
    page = Paginator(selectors.qualifier_outcomes(qualifier=user), 30).get_page(request.GET.get("page"))
    return render(request, "sales/outcomes.html", {"page_obj": page, "page_title": _("My hand-offs: outcomes")})
