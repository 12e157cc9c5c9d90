"""Hand-off quality per qualifier against the team, with the statistical flag (reports.stats).

Cohort: hand-offs made in the period. A hand-off undone by an upheld dispute has lost its
timestamps on the lead (it went back to qualifying), so the hand-offs of a qualifier are
    hand-offs = leads they qualified still carrying a hand-off in the period + upheld disputes on
                their hand-offs raised in the period.
"They" is the qualifier credited with the qualification (`qualified_by`, the dispute's `qualifier`),
not whoever pressed the hand-off: with the manual strategy that is the team lead.
Rates are per hand-off: accepted, disputes upheld, reached measurement, won. Two queries.

Drill-down: the hand-offs and the upheld disputes are events, so their lists have one line per event
(a lead handed off, returned and handed off again in the period is listed twice): the leads still
carrying a hand-off (`handoff_leads`) and, once per upheld dispute, the disputed leads
(`upheld_dispute_leads`, joined to the dispute with the very Q the disputes are counted with).
"""

from django.db.models import Count, Q, Sum

from leadflow.models import Lead, LeadStatus
from sales.models import Dispute

from .. import stats
from .common import label_from, ratio, user_names


def handoff_leads(*, report_filter, scope):
    """The leads still carrying a hand-off made in the period, by the qualifier credited with it."""
    from .funnel import lead_base

    return (
        lead_base(report_filter=report_filter, scope=scope, date_field="handed_off_at")
        .filter(qualified_by__isnull=False)
        .filter(scope.people_q("qualified_by__", include_extra=True))
    )


def dispute_q(*, report_filter, scope, prefix=""):
    """The disputes on the qualifiers' hand-offs raised in the period, as a Q over Dispute (prefix "")
    or over Lead through its disputes ("disputes__", used in one filter() so it is one dispute)."""
    q = report_filter.period.q("raised_at", prefix) & Q(**{f"{prefix}qualifier__isnull": False})
    q &= scope.people_q(f"{prefix}qualifier__", include_extra=True)
    if report_filter.person_id:
        q &= Q(**{f"{prefix}qualifier_id": report_filter.person_id})
    return q


def upheld_dispute_leads(*, report_filter, scope, qualifier_id=None):
    """The leads of the upheld disputes of the period, once per dispute (a qualifier's with `qualifier_id`)."""
    q = dispute_q(report_filter=report_filter, scope=scope, prefix="disputes__")
    q &= Q(disputes__decision=Dispute.Decision.UPHELD)
    if qualifier_id is not None:
        q &= Q(disputes__qualifier_id=qualifier_id)
    return Lead.objects.filter(scope.leads(), report_filter.lead_q(person_fields=())).filter(q)


# figure key → the Q, of handoff_leads, of the leads it counts
LEAD_FIGURES = {
    "handoff.current": Q(),
    "handoff.accepted": Q(accepted_at__isnull=False),
    "handoff.measured": Q(measured_at__isnull=False),
    "handoff.won": Q(status=LeadStatus.WON),
}
EVENT_FIGURES = ("handoff.handoffs", "handoff.upheld")


def handoff_drilldown(*, figure, report_filter, scope, group_by=None, dim=None):
    """The leads behind a figure of the page in the row of a qualifier (group_by "qualifier"), of
    the rest of the team but them ("rest", for the rest's win rate) or the team (dim None). The
    events (hand-offs made, disputes upheld) list a lead once per event. KeyError otherwise."""
    qualifier_id = None
    if dim is not None:
        if group_by not in ("qualifier", "rest"):
            raise KeyError(group_by)
        try:
            qualifier_id = int(dim)
        except ValueError:
            raise KeyError(dim) from None
    current = handoff_leads(report_filter=report_filter, scope=scope)
    if group_by == "rest" and qualifier_id is not None:
        if figure not in LEAD_FIGURES:
            raise KeyError(figure)
        return current.exclude(qualified_by_id=qualifier_id).filter(LEAD_FIGURES[figure])
    if qualifier_id is not None:
        current = current.filter(qualified_by_id=qualifier_id)
    if figure in LEAD_FIGURES:
        return current.filter(LEAD_FIGURES[figure])
    upheld = upheld_dispute_leads(report_filter=report_filter, scope=scope, qualifier_id=qualifier_id)
    if figure == "handoff.upheld":
        return upheld
    if figure == "handoff.handoffs":
        return current.order_by().union(upheld.order_by(), all=True)
    raise KeyError(figure)


def handoff_quality(*, report_filter, scope, alpha=stats.ALPHA):
    leads = handoff_leads(report_filter=report_filter, scope=scope)
    rows = {}
    counts = {key.split(".", 1)[1]: Count("pk", filter=q) if q else Count("pk") for key, q in LEAD_FIGURES.items()}
    for row in leads.values("qualified_by_id").annotate(
        **user_names("qualified_by"),
        **counts,
        lost=Count("pk", filter=Q(status=LeadStatus.LOST)),
        revenue=Sum("deal_amount", filter=Q(status=LeadStatus.WON)),
    ):
        rows[row["qualified_by_id"]] = {
            "person_id": row["qualified_by_id"],
            "label": label_from(row, "qualified_by_"),
            **{k: row[k] for k in ("current", "accepted", "measured", "won", "lost", "revenue")},
        }

    disputes = Dispute.objects.filter(
        scope.leads("lead__"),
        report_filter.lead_q("lead__", person_fields=()),
        dispute_q(report_filter=report_filter, scope=scope),
    )
    for row in disputes.values("qualifier_id").annotate(
        **user_names("qualifier"),
        disputed=Count("pk"),
        upheld=Count("pk", filter=Q(decision=Dispute.Decision.UPHELD)),
        rejected=Count("pk", filter=Q(decision=Dispute.Decision.REJECTED)),
    ):
        target = rows.setdefault(
            row["qualifier_id"],
            {
                "person_id": row["qualifier_id"],
                "label": label_from(row, "qualifier_"),
                "current": 0,
                "accepted": 0,
                "measured": 0,
                "won": 0,
                "lost": 0,
                "revenue": None,
            },
        )
        target.update(disputed=row["disputed"], upheld=row["upheld"], rejected=row["rejected"])

    people = sorted(rows.values(), key=lambda r: r["label"])
    for row in people:
        for key in ("disputed", "upheld", "rejected"):
            row.setdefault(key, 0)
    team = {"label": "", "revenue": 0}
    for key in ("current", "accepted", "measured", "won", "lost", "disputed", "upheld", "rejected"):
        team[key] = sum(row[key] for row in people)
    team["revenue"] = sum((row["revenue"] or 0) for row in people)
    for row in [*people, team]:
        row["handoffs"] = row["current"] + row["upheld"]
        row["accept_rate"] = ratio(row["accepted"], row["handoffs"])
        row["upheld_rate"] = ratio(row["upheld"], row["handoffs"])
        row["measured_rate"] = ratio(row["measured"], row["handoffs"])
        row["win_rate"] = ratio(row["won"], row["handoffs"])
        row["low"], row["high"] = stats.wilson_interval(row["won"], row["handoffs"])
    for row in people:
        test = stats.two_proportion_lower(
            row["won"], row["handoffs"], team["won"] - row["won"], team["handoffs"] - row["handoffs"], alpha=alpha
        )
        row["test"] = test
        row["z"] = test.z
        row["p_value"] = test.p_value
        row["rest_rate"] = test.rest_rate
        row["flagged"] = test.flagged
        row["rest_won"] = test.rest_successes
        row["verdict"] = "flagged" if test.flagged else ("ok" if test.enough_data else "too_few")
    return {"rows": people, "team": team, "alpha": alpha, "reconciliation": reconciliation(team)}


def reconciliation(team):
    """Hand-offs made in the period − disputes upheld in the period = hand-offs still standing (net)."""
    return {"made": team["handoffs"], "upheld": team["upheld"], "net": team["handoffs"] - team["upheld"]}
