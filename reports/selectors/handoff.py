"""Hand-off quality per qualifier against the team, with the statistical flag (reports.stats).

Cohort: hand-offs made in the period. A hand-off undone by an upheld dispute has lost its
timestamps on the lead (it went back to qualifying), so the hand-offs of a qualifier are
    hand-offs = leads they qualified still carrying a hand-off in the period + upheld disputes on
                their hand-offs raised in the period.
"They" is the qualifier credited with the qualification (`qualified_by`, the dispute's `qualifier`),
not whoever pressed the hand-off: with the manual strategy that is the team lead.
Rates are per hand-off: accepted, disputes upheld, reached measurement, won. Two queries.
"""

from django.db.models import Count, Q, Sum

from leadflow.models import LeadStatus
from sales.models import Dispute

from .. import stats
from .common import label_from, ratio, user_names


def handoff_quality(*, report_filter, scope, alpha=stats.ALPHA):
    period = report_filter.period
    from .funnel import lead_base

    leads = (
        lead_base(report_filter=report_filter, scope=scope, date_field="handed_off_at")
        .filter(qualified_by__isnull=False)
        .filter(scope.people_q("qualified_by__", include_extra=True))
    )
    rows = {}
    for row in leads.values("qualified_by_id").annotate(
        **user_names("qualified_by"),
        current=Count("pk"),
        accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
        measured=Count("pk", filter=Q(measured_at__isnull=False)),
        won=Count("pk", filter=Q(status=LeadStatus.WON)),
        lost=Count("pk", filter=Q(status=LeadStatus.LOST)),
        revenue=Sum("deal_amount", filter=Q(status=LeadStatus.WON)),
    ):
        rows[row["qualified_by_id"]] = {
            "person_id": row["qualified_by_id"],
            "label": label_from(row, "qualified_by_"),
            **{k: row[k] for k in ("current", "accepted", "measured", "won", "lost", "revenue")},
        }

    disputes = (
        Dispute.objects.filter(
            period.q("raised_at"),
            scope.leads("lead__"),
            report_filter.lead_q("lead__", person_fields=()),
            qualifier__isnull=False,
        )
        .filter(scope.people_q("qualifier__", include_extra=True))
        .filter(**({"qualifier_id": report_filter.person_id} if report_filter.person_id else {}))
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
        row["verdict"] = "flagged" if test.flagged else ("ok" if test.enough_data else "too_few")
    return {"rows": people, "team": team, "alpha": alpha, "reconciliation": reconciliation(team)}


def reconciliation(team):
    """Hand-offs made in the period − disputes upheld in the period = hand-offs still standing (net)."""
    return {"made": team["handoffs"], "upheld": team["upheld"], "net": team["handoffs"] - team["upheld"]}
