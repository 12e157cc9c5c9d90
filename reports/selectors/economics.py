"""Economics: monthly statements per person from the bonus plans, payroll per team, cost per
qualified lead / measurement / won deal, revenue per rouble of payroll, and the double credit of
every won deal (to the qualifier who qualified it and to the rep who closed it).

Pay rules (reports.models.BonusPlan, the most specific plan in force on the 1st of the month):
    fixed       = plan.fixed_monthly
    earned      = plan.bonus_per_won_deal × deals won in the month from the leads the person qualified
                  (`qualified_by`, whoever pressed the hand-off) whose hand-off had been accepted
    clawback    = plan.bonus_per_won_deal × those of them on which a dispute was upheld against the
                  person (an earlier hand-off of the same lead was "not a target lead")
    rep bonus   = plan.revenue_share_percent % × revenue of the deals the person won in the month
    adjustment  = corrections of deals of an already paid month (reports.models.PayPeriodClose) made
                  after it was paid: revenue-share difference at the plan of the deal's month, in the first
                  month still open at the correction; the paid month's own statement stays as it was paid
    total       = fixed + earned − clawback + rep bonus + adjustment
A constant number of queries: people (+ their roles), plans, won deals per qualifier and month,
revenue per rep and month, the paid months (+ the deal corrections once a month is paid), the
period's counts, and the qualifier × rep pairs.
"""

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Team
from sales.models import DealCorrection, Dispute

from ..models import BonusPlan, PayPeriodClose
from .common import Period, person_label, ratio, users_by_id
from .drill import NO_VALUE

PAID_ROLES = (roles.QUALIFICATION_LEAD, roles.SALES_MANAGER, roles.QUALIFIER, roles.SALES_REP)
CENT = Decimal("0.01")
ZERO = Decimal("0")


def money(value):
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(day):
    return date(day.year, day.month, 1)


def next_month(day):
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def months_of(period):
    """First days of the calendar months (local time) that the period touches."""
    first = month_start(timezone.localtime(period.start).date())
    last = timezone.localtime(period.end - datetime.resolution).date()
    months, day = [], first
    while day <= last:
        months.append(day)
        day = next_month(day)
    return months


def month_period(first_day, last_first_day=None):
    tz = timezone.get_current_timezone()
    end_day = next_month(last_first_day or first_day)
    return Period(
        timezone.make_aware(datetime.combine(first_day, time()), tz),
        timezone.make_aware(datetime.combine(end_day, time()), tz),
    )


def _as_month(value):
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return month_start(value)


def payroll_role(role_names):
    for name in PAID_ROLES:
        if name in role_names:
            return name
    return None


def resolve_plan(plans, *, role, team_id, user_id, day):
    """The most specific plan in force on `day` (person > team > role), latest start first."""
    candidates = [
        plan
        for plan in plans
        if plan.role == role
        and plan.in_force_on(day)
        and (plan.user_id is None or plan.user_id == user_id)
        and (plan.team_id is None or plan.team_id == team_id)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda plan: (plan.specificity(), plan.valid_from))


def paid_people(*, scope, team_id=None, person_id=None):
    User = get_user_model()
    people = (
        User.objects.filter(is_active=True, groups__name__in=PAID_ROLES)
        .filter(scope.people_q())
        .select_related("profile__team")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.filter(name__in=roles.ALL_ROLES)))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    if team_id:
        people = people.filter(profile__team_id=team_id)
    if person_id:
        people = people.filter(pk=person_id)
    return list(people)


def paid_corrections():
    """Corrections of deals of a paid month made after it was paid (two queries).

    Returns (undo, lines): `undo[(rep_id, month)]` is the revenue those corrections added to the paid
    month (subtracted again so that its statement stays as paid); `lines[(rep_id, month)]` are the
    adjustment lines of the first month still open when the correction was made.
    """
    closes = dict(PayPeriodClose.objects.values_list("month", "closed_at"))
    undo, lines = {}, {}
    if not closes:
        return undo, lines
    rows = (
        DealCorrection.objects.filter(
            field__in=(DealCorrection.Field.AMOUNT, DealCorrection.Field.REOPENED),
            deal_closed_at__isnull=False,
            sales_rep__isnull=False,
        )
        .exclude(new_value="")
        .values("lead_id", "sales_rep_id", "deal_closed_at", "at", "field", "old_value", "new_value", "reason")
        .order_by("at", "pk")
    )
    for row in rows:
        deal_month = _as_month(row["deal_closed_at"])
        paid_at = closes.get(deal_month)
        if paid_at is None or row["at"] <= paid_at:
            continue  # the month was not paid yet: its statement simply reads the corrected deal
        old, new = Decimal(row["old_value"] or 0), Decimal(row["new_value"] or 0)
        month = next_month(deal_month)
        while closes.get(month) is not None and closes[month] <= row["at"]:
            month = next_month(month)
        key = (row["sales_rep_id"], deal_month)
        undo[key] = undo.get(key, ZERO) + (new - old)
        lines.setdefault((row["sales_rep_id"], month), []).append(
            {
                "lead_id": row["lead_id"],
                "deal_month": deal_month,
                "reopened": row["field"] == DealCorrection.Field.REOPENED,
                "old": money(old),
                "new": money(new),
                "difference": money(new - old),
                "reason": row["reason"],
                "at": row["at"],
            }
        )
    return undo, lines


# the leads the statements count: a qualifier's won hand-offs (accepted), those clawed back, a rep's wins
HANDOFF_WINS = Q(status=LeadStatus.WON, qualified_by__isnull=False, accepted_at__isnull=False)
REP_WINS = Q(status=LeadStatus.WON, sales_rep__isnull=False)


def upheld_against_qualifier():
    """A dispute on the lead was upheld against the qualifier credited with it (the clawback)."""
    return Exists(
        Dispute.objects.filter(
            lead=OuterRef("pk"), decision=Dispute.Decision.UPHELD, counts_against_user=OuterRef("qualified_by")
        )
    )


def summary_filters(span):
    """The counts under the unit costs, each by its own date in the whole months of the period."""
    return {
        "qualified": span.q("qualified_at"),
        "measured": span.q("measured_at"),
        "won": span.q("closed_at") & Q(status=LeadStatus.WON),
    }


STATEMENT_FIGURES = ("handoff_wins", "clawed", "deals_won")
SUMMARY_FIGURES = ("qualified", "measured", "won")


def _id_or_none(value):
    return None if value == NO_VALUE else int(value)


def economics_drilldown(*, figure, report_filter, scope, group_by=None, dim=None):
    """The leads behind a count of the economics page: the unit costs' counts (dim None), a monthly
    statement's (group_by "statement", dim "<person id>:<YYYY-MM>") or a qualifier × rep pair's won
    deals ("pair", "<qualifier id|none>:<rep id|none>"). KeyError for what the page does not have."""
    key = figure.split(".", 1)[1]
    months = months_of(report_filter.period)
    if not months:
        raise KeyError(figure)
    span = month_period(months[0], months[-1])
    try:
        if key in SUMMARY_FIGURES and dim is None:
            return Lead.objects.filter(scope.leads(), summary_filters(span)[key], merged_into__isnull=True)
        if key in STATEMENT_FIGURES and group_by == "statement" and dim is not None:
            person, month = dim.split(":")
            month = month_start(date.fromisoformat(f"{month}-01"))
            if month not in months:
                raise KeyError(dim)
            closed = month_period(month).q("closed_at")
            if key == "deals_won":
                return Lead.objects.filter(scope.leads(), closed, REP_WINS, sales_rep_id=int(person)).filter(
                    scope.people_q("sales_rep__")
                )
            leads = Lead.objects.filter(scope.leads(), closed, HANDOFF_WINS, qualified_by_id=int(person))
            leads = leads.filter(scope.people_q("qualified_by__"))
            return leads.filter(upheld_against_qualifier()) if key == "clawed" else leads
        if key == "pair_won" and group_by == "pair" and dim is not None:
            qualifier, rep = (_id_or_none(part) for part in dim.split(":"))
            return _won_in_span(report_filter, scope, span).filter(
                **({"qualified_by__isnull": True} if qualifier is None else {"qualified_by_id": qualifier}),
                **({"sales_rep__isnull": True} if rep is None else {"sales_rep_id": rep}),
            )
    except ValueError:
        raise KeyError(dim) from None
    raise KeyError(figure)


def _won_in_span(report_filter, scope, span):
    return Lead.objects.filter(
        span.q("closed_at"), scope.leads(), report_filter.lead_q(), status=LeadStatus.WON, merged_into__isnull=True
    )


def statements(*, months, scope, team_id=None, person_id=None):
    """One statement per person and month, plus payroll per team and month."""
    if not months:
        return {"statements": [], "teams": [], "months": []}
    span = month_period(months[0], months[-1])
    people = paid_people(scope=scope, team_id=team_id, person_id=person_id)
    plans = list(BonusPlan.objects.all())

    # the qualifiers' won hand-offs and the reps' wins in one pass over the span's won deals, per
    # (qualifier, rep, month): a year at 1 M leads read the won deals twice
    qualifier_wins, rep_sales = {}, {}
    for row in (
        Lead.objects.filter(span.q("closed_at"), status=LeadStatus.WON)
        .annotate(month=TruncMonth("closed_at"))
        .values("qualified_by_id", "sales_rep_id", "month")
        .annotate(
            handoff_won=Count("pk", filter=HANDOFF_WINS),
            rep_won=Count("pk", filter=REP_WINS),
            revenue=Sum("deal_amount", filter=REP_WINS),
        )
        .order_by()
    ):
        month = _as_month(row["month"])
        if row["handoff_won"]:
            q = qualifier_wins.setdefault((row["qualified_by_id"], month), {"won": 0, "clawed": 0})
            q["won"] += row["handoff_won"]
        if row["rep_won"]:
            r = rep_sales.setdefault((row["sales_rep_id"], month), {"won": 0, "revenue": None})
            r["won"] += row["rep_won"]
            if row["revenue"] is not None:
                r["revenue"] = row["revenue"] if r["revenue"] is None else r["revenue"] + row["revenue"]
    # those of them clawed back (upheld_against_qualifier), from the disputes' side: a join driven by the few
    # upheld disputes instead of a dispute lookup for every won deal of the span
    for row in (
        Lead.objects.filter(
            span.q("closed_at"),
            HANDOFF_WINS,
            disputes__decision=Dispute.Decision.UPHELD,
            disputes__counts_against_user=F("qualified_by"),
        )
        .annotate(month=TruncMonth("closed_at"))
        .values("qualified_by_id", "month")
        .annotate(clawed=Count("pk", distinct=True))
        .order_by()
    ):
        qualifier_wins[(row["qualified_by_id"], _as_month(row["month"]))]["clawed"] = row["clawed"]
    undo, adjustment_lines = paid_corrections()

    rows, teams = [], {}
    for month in months:
        for person in people:
            role = payroll_role({group.name for group in person.groups.all()})
            team = getattr(getattr(person, "profile", None), "team", None)
            plan = resolve_plan(plans, role=role, team_id=team.pk if team else None, user_id=person.pk, day=month)
            q = qualifier_wins.get((person.pk, month), {})
            r = rep_sales.get((person.pk, month), {})
            fixed = money(plan.fixed_monthly if plan else 0)
            per_deal = plan.bonus_per_won_deal if plan else ZERO
            share = (plan.revenue_share_percent if plan else ZERO) / Decimal(100)
            earned = money(per_deal * q.get("won", 0))
            clawback = money(per_deal * q.get("clawed", 0))
            revenue = (r.get("revenue") or ZERO) - undo.get((person.pk, month), ZERO)
            rep_bonus = money(share * revenue)
            adjustments = []
            for line in adjustment_lines.get((person.pk, month), ()):
                then = resolve_plan(
                    plans, role=role, team_id=team.pk if team else None, user_id=person.pk, day=line["deal_month"]
                )
                then_share = (then.revenue_share_percent if then else ZERO) / Decimal(100)
                adjustments.append({**line, "bonus": money(then_share * line["difference"])})
            adjustment = sum((line["bonus"] for line in adjustments), ZERO)
            bonus = earned - clawback + rep_bonus + adjustment
            row = {
                "month": month,
                "person_id": person.pk,
                "label": person_label(person.first_name, person.last_name, person.username),
                "role": role,
                "role_label": str(roles.ROLE_LABELS.get(role, "")),
                "team_id": team.pk if team else None,
                "team": team.name if team else "—",
                "team_kind": team.kind if team else "",
                "plan": plan.name if plan else "—",
                "handoff_wins": q.get("won", 0),
                "clawed": q.get("clawed", 0),
                "deals_won": r.get("won", 0),
                "revenue": money(revenue),
                "fixed": fixed,
                "earned": earned,
                "clawback": clawback,
                "rep_bonus": rep_bonus,
                "adjustment": adjustment,
                "adjustments": adjustments,
                "bonus": bonus,
                "total": fixed + bonus,
            }
            row["bonus_share"] = ratio(row["bonus"], row["total"])
            rows.append(row)
            key = (month, row["team"])
            agg = teams.setdefault(
                key,
                {"month": month, "team": row["team"], "team_kind": row["team_kind"], "people": 0, **_zeros()},
            )
            agg["people"] += 1
            for field in ("fixed", "bonus", "total"):
                agg[field] += row[field]
    return {
        "statements": rows,
        "teams": sorted(teams.values(), key=lambda t: (t["month"], t["team"])),
        "months": months,
        "span": span,
    }


def _zeros():
    return {"fixed": ZERO, "bonus": ZERO, "total": ZERO}


def economics(*, report_filter, scope):
    months = months_of(report_filter.period)
    result = statements(months=months, scope=scope, team_id=report_filter.team_id, person_id=report_filter.person_id)
    span = result.get("span") or report_filter.period
    filters = summary_filters(span)
    counts = Lead.objects.filter(scope.leads(), merged_into__isnull=True).aggregate(
        **{key: Count("pk", filter=q) for key, q in filters.items()},
        revenue=Sum("deal_amount", filter=filters["won"]),
    )
    payroll_total = sum((row["total"] for row in result["statements"]), ZERO)
    qualification_payroll = sum(
        (row["total"] for row in result["statements"] if row["team_kind"] == Team.Kind.QUALIFICATION), ZERO
    )
    revenue = money(counts["revenue"])
    summary = {
        "payroll": payroll_total,
        "qualification_payroll": qualification_payroll,
        "sales_payroll": payroll_total - qualification_payroll,
        "qualified": counts["qualified"],
        "measured": counts["measured"],
        "won": counts["won"],
        "revenue": revenue,
        "cost_per_qualified": _div(qualification_payroll, counts["qualified"]),
        "cost_per_measurement": _div(payroll_total, counts["measured"]),
        "cost_per_won": _div(payroll_total, counts["won"]),
        "revenue_per_rouble": (revenue / payroll_total).quantize(CENT) if payroll_total else None,
    }

    pairs = []
    # names afterwards (users_by_id): name subqueries in the grouped query kept it off the parallel plan
    grouped = list(
        _won_in_span(report_filter, scope, span)
        .values("qualified_by_id", "sales_rep_id")
        .annotate(won=Count("pk"), revenue=Sum("deal_amount"))
        .order_by("-revenue")
    )
    names = users_by_id({row[key] for row in grouped for key in ("qualified_by_id", "sales_rep_id")} - {None})
    for row in grouped:
        pairs.append(
            {
                "qualified_by_id": row["qualified_by_id"],
                "sales_rep_id": row["sales_rep_id"],
                "qualifier": names.get(row["qualified_by_id"], "—") if row["qualified_by_id"] else "—",
                "rep": names.get(row["sales_rep_id"], "—") if row["sales_rep_id"] else "—",
                "won": row["won"],
                "revenue": money(row["revenue"]),
            }
        )
    return {**result, "summary": summary, "pairs": pairs, "months": months}


def _div(amount, count):
    return money(amount / count) if count else None
