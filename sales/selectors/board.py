"""The deal board: columns of cards per stage, their pages and signature."""

from dataclasses import dataclass, field
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, Exists, F, Max, OuterRef, Prefetch, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow import roles
from leadflow.models import HandoffState, Lead, LeadStatus, Team
from qualification.models import LeadAnswer

from ..models import Dispute, Visit

User = get_user_model()


# Qualification answers shown on a card (criterion codes of the checklist).
CARD_CRITERIA = ("budget", "timeline")

COLUMNS = (
    ("new", gettext_lazy("New hand-offs")),
    ("scheduled", gettext_lazy("Measurement scheduled")),
    ("measured", gettext_lazy("Measured / quoted")),
    ("won", gettext_lazy("Won")),
    ("lost", gettext_lazy("Lost")),
)
# Cards a column shows before "show more" (the board stays light at any size: issue 15 §1).
COLUMN_PAGE = {"new": 15, "scheduled": 15, "measured": 15, "won": 10, "lost": 10}


def month_start(now=None):
    local = timezone.localtime(now or timezone.now())
    return datetime.combine(local.date().replace(day=1), time.min, local.tzinfo)


def sales_reps(*, team=None):
    """Sales reps (active), for filters and the team calendar."""
    qs = User.objects.filter(is_active=True, groups__name=roles.SALES_REP).select_related("profile")
    if team is not None:
        qs = qs.filter(profile__team=team)
    return qs.distinct().order_by("first_name", "last_name", "username")


def default_sales_team():
    return Team.objects.filter(kind=Team.Kind.SALES, is_active=True).order_by("pk").first()


def answer_display(answer):
    """A criterion answer as the rep reads it: the option label, the number with its unit, yes/no."""
    criterion, value = answer.criterion, answer.value
    if criterion.kind == criterion.Kind.CHOICE:
        for option in criterion.options or []:
            if option.get("value") == value:
                return option.get("label") or str(value)
        return str(value)
    if criterion.kind == criterion.Kind.YES_NO:
        return _("yes") if value in (True, "yes", "true", 1) else _("no")
    try:
        number = f"{int(float(value)):,}".replace(",", "\u00a0")
    except (TypeError, ValueError):
        number = str(value)
    return f"{number} {criterion.unit}".strip()


def _answers_prefetch(codes=CARD_CRITERIA):
    qs = LeadAnswer.objects.select_related("criterion")
    if codes:
        qs = qs.filter(criterion__code__in=codes)
    return Prefetch("answers", queryset=qs, to_attr="card_answers")


def _deal_queryset():
    return Lead.objects.select_related("sales_rep", "handed_off_by", "lose_reason", "measurement").prefetch_related(
        _answers_prefetch(),
        Prefetch("visits", queryset=Visit.objects.order_by("-starts_at", "-pk"), to_attr="all_visits"),
        Prefetch(
            "disputes",
            queryset=Dispute.objects.filter(decision=Dispute.Decision.PENDING).select_related("reason"),
            to_attr="pending_disputes",
        ),
    )


class TeamDeals:
    """Every rep of one sales team: passed where a rep is (the board of a sales manager who runs one team
    of several). False in a condition, so the pages treat it like "all reps" of the board they see."""

    def __init__(self, team_id):
        self.team_id = team_id

    def __bool__(self):
        return False

    def __eq__(self, other):
        return isinstance(other, TeamDeals) and other.team_id == self.team_id

    def __hash__(self):
        return hash(("team", self.team_id))


def of_rep(qs, rep, field="sales_rep"):
    """`qs` narrowed to one rep, to the reps of one sales team (TeamDeals), or not at all (None)."""
    if rep is None:
        return qs
    if isinstance(rep, TeamDeals):
        return qs.filter(**{f"{field}__profile__team_id": rep.team_id})
    return qs.filter(**{field: rep})


def board_leads(*, rep=None, now=None):
    """Open deals plus this month's won and lost ones, of one rep or all reps."""
    since = month_start(now)
    qs = (
        _deal_queryset()
        .filter(sales_rep__isnull=False)
        .filter(
            Q(status__in=[LeadStatus.HANDED_OFF, LeadStatus.MEASURED])
            | Q(status__in=[LeadStatus.WON, LeadStatus.LOST], closed_at__gte=since)
        )
    )
    return of_rep(qs, rep).order_by("handed_off_at", "pk")


@dataclass
class Card:
    lead: Lead
    column: str
    visit: Visit | None
    last_visit: Visit | None
    answers: dict
    days_in_column: int
    next_action: str
    overdue: bool = False
    dispute: Dispute | None = None

    @property
    def budget(self):
        return self.answers.get("budget")

    @property
    def timeline(self):
        return self.answers.get("timeline")


@dataclass
class Column:
    key: str
    title: str
    cards: list = field(default_factory=list)
    total: int = 0  # cards in the column; `cards` holds the first page of them

    @property
    def more(self):
        return max(self.total - len(self.cards), 0)

    @property
    def is_closed(self):
        return self.key in ("won", "lost")


def _card(lead, now):
    visits = lead.all_visits
    scheduled = next((v for v in reversed(visits) if v.status == Visit.Status.SCHEDULED), None)
    last_visit = visits[0] if visits else None
    dispute = lead.pending_disputes[0] if lead.pending_disputes else None
    overdue = (
        lead.status == LeadStatus.HANDED_OFF
        and lead.handoff_state == HandoffState.PENDING
        and lead.acceptance_due_at is not None
        and lead.acceptance_due_at < now
    )
    if lead.status == LeadStatus.WON:
        column, entered, action = "won", lead.closed_at, ""
    elif lead.status == LeadStatus.LOST:
        column, entered = "lost", lead.closed_at
        action = lead.lose_reason.title if lead.lose_reason else ""
    elif lead.status == LeadStatus.MEASURED:
        column, entered = "measured", lead.measured_at
        measurement = getattr(lead, "measurement", None)
        action = (measurement.next_step if measurement and measurement.next_step else "") or _(
            "Close the deal: won or lost"
        )
    elif scheduled is not None and lead.handoff_state == HandoffState.ACCEPTED:
        column, entered = "scheduled", scheduled.created_at
        if scheduled.starts_at <= now:
            action = _("Record the measurement or mark a no-show")
        else:
            action = _("Measure on %(when)s") % {
                "when": timezone.localtime(scheduled.starts_at).strftime("%d.%m %H:%M")
            }
    else:
        column, entered = "new", lead.handed_off_at
        if lead.handoff_state == HandoffState.DISPUTED:
            action = _("Awaiting arbitration")
        elif lead.handoff_state == HandoffState.PENDING:
            action = _("Accept or dispute")
        elif last_visit is not None and last_visit.status == Visit.Status.NO_SHOW:
            action = _("Reschedule the measurement (no-show)")
        else:
            action = _("Schedule the measurement")
    days = (now - entered).days if entered else 0
    return Card(
        lead=lead,
        column=column,
        visit=scheduled,
        last_visit=last_visit,
        answers={a.criterion.code: answer_display(a) for a in lead.card_answers},
        days_in_column=max(days, 0),
        next_action=action,
        overdue=overdue,
        dispute=dispute,
    )


def deal_card(lead, *, now=None):
    """The card of one lead fetched through `deal_queryset()`."""
    return _card(lead, now or timezone.now())


def deal_queryset():
    return _deal_queryset()


def _with_board_column(qs):
    """Annotate `board_column`, the column a lead's card sits in, in SQL (the same rule as `_card`), so
    the board counts and pages each column in the database instead of rendering every card."""
    booked = Visit.objects.filter(lead=OuterRef("pk"), status=Visit.Status.SCHEDULED)
    return qs.annotate(
        board_column=Case(
            When(status=LeadStatus.WON, then=Value("won")),
            When(status=LeadStatus.LOST, then=Value("lost")),
            When(status=LeadStatus.MEASURED, then=Value("measured")),
            When(Q(handoff_state=HandoffState.ACCEPTED) & Exists(booked), then=Value("scheduled")),
            default=Value("new"),
            output_field=CharField(),
        )
    )


# A column's order: open deals oldest hand-off first (the longest waiting on top), closed ones the
# latest first. Open deals have no closed_at, so one ordering serves every column.
COLUMN_ORDER = (F("closed_at").desc(nulls_last=True), F("handed_off_at").asc(nulls_last=True), F("pk").asc())


def _cards_of(ids, now):
    leads = {lead.pk: lead for lead in _deal_queryset().filter(pk__in=ids)}
    return [_card(leads[pk], now) for pk in ids if pk in leads]


def _board(*, rep, now, per_column):
    """(columns, the number of the board's deals, their last update): the columns' queries also give
    the leads' half of the board's signature, so a page does not scan the board's deals twice."""
    deals = of_rep(Lead.objects.filter(sales_rep__isnull=False).order_by(), rep)
    totals, picked, last = {}, [], []
    # open deals: one window query ranks and counts the cards of each open column
    ranked = (
        _with_board_column(deals.filter(status__in=[LeadStatus.HANDED_OFF, LeadStatus.MEASURED]))
        .annotate(
            place=Window(RowNumber(), partition_by=F("board_column"), order_by=COLUMN_ORDER),
            column_total=Window(Count("pk"), partition_by=F("board_column")),
            open_last=Window(Max("updated_at")),
        )
        .values_list("pk", "board_column", "place", "column_total", "open_last")
    )
    for pk, column, place, total, open_last in ranked.filter(place__lte=max(per_column.values())):
        totals[column] = total
        last.append(open_last)
        if place <= per_column[column]:
            picked.append((column, place, pk))
    # this month's won and lost: counted in one query, each column's latest by the closed_at index (a
    # window over them would sort every deal closed this month)
    closed = deals.filter(status__in=[LeadStatus.WON, LeadStatus.LOST], closed_at__gte=month_start(now))
    closed_part = closed.aggregate(
        won=Count("pk", filter=Q(status=LeadStatus.WON)),
        lost=Count("pk", filter=Q(status=LeadStatus.LOST)),
        last=Max("updated_at"),
    )
    totals.update(won=closed_part["won"], lost=closed_part["lost"])
    last.append(closed_part["last"])
    for key in ("won", "lost"):
        # COLUMN_ORDER for rows that all have a closed_at, spelled so the index is read backwards
        latest = closed.filter(status=key).order_by("-closed_at", "handed_off_at", "pk")
        latest = latest.values_list("pk", flat=True)[: per_column[key]]
        picked += [(key, place, pk) for place, pk in enumerate(latest, start=1)]
    picked.sort(key=lambda row: (row[0], row[1]))
    columns = {key: Column(key=key, title=str(title), total=totals.get(key, 0)) for key, title in COLUMNS}
    for card in _cards_of([pk for _column, _place, pk in picked], now):
        columns[card.column].cards.append(card)
    stamps = [stamp for stamp in last if stamp is not None]
    return list(columns.values()), sum(totals.values()), max(stamps) if stamps else None


def board_columns(*, rep=None, now=None, per_column=None):
    """The board: each column's count and its first `per_column` cards (COLUMN_PAGE by default; the
    rest load on demand through `board_column_cards`). Eight queries whatever the number of deals."""
    return _board(rep=rep, now=now or timezone.now(), per_column=per_column or COLUMN_PAGE)[0]


def board_page(*, rep=None, now=None):
    """The board's columns and its signature (`board_signature`'s value), in nine queries."""
    columns, count, last = _board(rep=rep, now=now or timezone.now(), per_column=COLUMN_PAGE)
    return columns, _signature(count, last, rep)


def board_column_cards(*, column, rep=None, now=None, offset=0, limit=None):
    """One column's cards from `offset` ("show more"), and how many the column holds: four queries."""
    now = now or timezone.now()
    limit = limit or COLUMN_PAGE[column]
    qs = _with_board_column(board_leads(rep=rep, now=now).order_by()).filter(board_column=column)
    total = qs.count()
    ids = list(qs.order_by(*COLUMN_ORDER).values_list("pk", flat=True)[offset : offset + limit])
    return _cards_of(ids, now), total


def board_signature(*, rep=None, now=None):
    """Changes whenever a card would: used by the board's polling to skip unchanged refreshes."""
    lead_part = board_leads(rep=rep, now=now).order_by().aggregate(n=Count("pk"), last=Max("updated_at"))
    return _signature(lead_part["n"], lead_part["last"], rep)


def _signature(lead_count, lead_last, rep):
    # every visit of the rep (or of all reps), not only the board's: no join with the leads, and a change
    # to a visit no card shows only costs one needless refresh
    visits = of_rep(Visit.objects.all(), rep, field="rep")
    visit_part = visits.aggregate(n=Count("pk"), last=Max("updated_at"))
    stamp = [lead_count, lead_last, visit_part["n"], visit_part["last"]]
    return "-".join(str(part.timestamp() if hasattr(part, "timestamp") else part) for part in stamp)
