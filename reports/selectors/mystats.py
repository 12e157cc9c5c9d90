"""My stats: a qualifier's or a rep's own day and month, and the same per person for the teams a
manager may see. Each figure counts events by their own date (taken by claimed_at, won by closed_at…).
Queries: one for the own figures (four for a team: by holder, by first caller, by the one who
qualified, by rep) + the pay statements of the month."""

from datetime import datetime, time, timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from leadflow import access
from leadflow.models import Lead, LeadStatus

from .common import Period, Scope, label_from, ratio, user_name_fields
from .economics import month_start, statements

# Credit, not custody: calls count for who made the first one, qualification and what followed
# it for who qualified the lead (the team lead pressing the hand-off earns none of it).
QUALIFIER_EVENTS = {
    "taken": ("qualifier", "claimed_at", Q()),
    "called": ("first_called_by", "first_call_at", Q()),
    "within_sla": ("first_called_by", "first_call_at", Q(first_call_at__lte=F("sla_warn_at"))),
    "qualified": ("qualified_by", "qualified_at", Q()),
    "disqualified": ("qualifier", "disqualified_at", Q()),
    "handed_off": ("qualified_by", "handed_off_at", Q()),
    "accepted": ("qualified_by", "accepted_at", Q()),
    "handoff_won": ("qualified_by", "closed_at", Q(status=LeadStatus.WON)),
}
CREDIT_FIELDS = ("qualifier", "first_called_by", "qualified_by", "sales_rep")
REP_EVENTS = {
    "received": ("sales_rep", "handed_off_at", Q()),
    "rep_accepted": ("sales_rep", "accepted_at", Q()),
    "measured": ("sales_rep", "measured_at", Q()),
    "won": ("sales_rep", "closed_at", Q(status=LeadStatus.WON)),
    "lost": ("sales_rep", "closed_at", Q(status=LeadStatus.LOST)),
}


EVENTS = {**QUALIFIER_EVENTS, **REP_EVENTS}
FIGURES = tuple(f"my.{key}" for key in EVENTS)  # the drill-down keys of My stats' counts


def _event(figure, period):
    """(the person field the event is credited through, the Q of its leads in `period`)."""
    who, when, extra = EVENTS[figure.split(".", 1)[1]]
    return who, period.q(when) & extra


def own_drilldown(*, figure, user, side, now=None):
    """The leads behind one of the person's own figures of today ("day") or this month ("month"):
    (those the person may open, all the figure counts). A lead counted for the person but no longer
    theirs to open (a qualifier's qualified lead now held by another) is counted, never listed.
    KeyError for a figure or side My stats does not have."""
    day, month, _first = day_and_month(now)
    who, q = _event(figure, {"day": day, "month": month}[side])
    counted = Lead.objects.filter(q, merged_into__isnull=True, **{f"{who}_id": user.pk})
    return counted.filter(access.leads_scope(user)), counted


def team_drilldown(*, figure, scope, person_id, now=None):
    """The leads behind a person's count of the month in the team table (team_stats), inside the
    viewer's scope."""
    _day, month, _first = day_and_month(now)
    who, q = _event(figure, month)
    return Lead.objects.filter(q, scope.leads(), merged_into__isnull=True, **{f"{who}_id": person_id}).filter(
        scope.people_q(f"{who}__")
    )


def day_and_month(now=None):
    now = timezone.localtime(now or timezone.now())
    tz = timezone.get_current_timezone()
    day_start = timezone.make_aware(datetime.combine(now.date(), time()), tz)
    first = month_start(now.date())
    month_begin = timezone.make_aware(datetime.combine(first, time()), tz)
    return Period(day_start, day_start + timedelta(days=1)), Period(month_begin, now + timedelta(seconds=1)), first


def _event_aggregates(events, periods, person=None):
    aggregates = {}
    for name, period in periods.items():
        for key, (who, when, extra) in events.items():
            q = period.q(when) & extra
            if person is not None:
                q &= Q(**{f"{who}_id": person.pk})
            aggregates[f"{name}_{key}"] = Count("pk", filter=q)
        if "won" in events:
            q = period.q("closed_at") & Q(status=LeadStatus.WON)
            if person is not None:
                q &= Q(sales_rep_id=person.pk)
            aggregates[f"{name}_revenue"] = Sum("deal_amount", filter=q)
    return aggregates


def _derive(figures):
    figures["sla_share"] = ratio(figures.get("within_sla"), figures.get("called"))
    figures["qualify_rate"] = ratio(figures.get("qualified"), figures.get("taken"))
    figures["accept_rate"] = ratio(figures.get("accepted"), figures.get("handed_off"))
    figures["win_rate"] = ratio(figures.get("won"), (figures.get("won") or 0) + (figures.get("lost") or 0))
    return figures


def own_stats(*, user, now=None):
    day, month, first = day_and_month(now)
    periods = {"day": day, "month": month}
    events = {**QUALIFIER_EVENTS, **REP_EVENTS}
    mine = Q()
    for who in CREDIT_FIELDS:
        mine |= Q(**{who: user})
    raw = Lead.objects.filter(mine, merged_into__isnull=True).aggregate(**_event_aggregates(events, periods, user))
    sides = {}
    for name in periods:
        sides[name] = _derive({key.split("_", 1)[1]: value for key, value in raw.items() if key.startswith(name)})
    statement = statements(months=[first], scope=Scope(), person_id=user.pk)["statements"]
    return {"day": sides["day"], "month": sides["month"], "statement": statement[0] if statement else None}


def team_stats(*, scope, now=None, team_id=None):
    """Month figures per person of the teams in scope, with the pay statement so far."""
    _day, month, first = day_and_month(now)
    rows = {}
    all_events = {**QUALIFIER_EVENTS, **REP_EVENTS}
    for who in CREDIT_FIELDS:
        # one grouped query per person field: the events credited through that field
        own = {k: v for k, v in all_events.items() if v[0] == who}
        aggregates = {key: Count("pk", filter=month.q(when) & extra) for key, (_w, when, extra) in own.items()}
        if who == "sales_rep":
            aggregates["revenue"] = Sum("deal_amount", filter=month.q("closed_at") & Q(status=LeadStatus.WON))
        qs = Lead.objects.filter(**{f"{who}__isnull": False}, merged_into__isnull=True).filter(
            scope.people_q(f"{who}__")
        )
        if team_id:
            qs = qs.filter(**{f"{who}__profile__team_id": team_id})
        any_event = Q()
        for _w, when, _extra in own.values():
            any_event |= month.q(when)
        for row in qs.filter(any_event).values(f"{who}_id", *user_name_fields(f"{who}__")).annotate(**aggregates):
            target = rows.setdefault(
                row[f"{who}_id"], {"person_id": row[f"{who}_id"], "label": label_from(row, f"{who}__")}
            )
            target.update({k: row[k] for k in aggregates})
    pay = statements(months=[first], scope=scope, team_id=team_id)["statements"]
    for statement in pay:
        target = rows.setdefault(
            statement["person_id"], {"person_id": statement["person_id"], "label": statement["label"]}
        )
        target.update(
            team=statement["team"],
            role_label=statement["role_label"],
            bonus=statement["bonus"],
            total=statement["total"],
        )
    result = []
    for row in sorted(rows.values(), key=lambda r: r["label"]):
        for key in [*QUALIFIER_EVENTS, *REP_EVENTS]:
            row.setdefault(key, 0)
        row.setdefault("revenue", None)
        row.setdefault("team", "—")
        row.setdefault("role_label", "")
        row.setdefault("bonus", None)
        result.append(_derive(row))
    return result
