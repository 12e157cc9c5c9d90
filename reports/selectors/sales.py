"""Sales per rep: what each rep did in the period (each count by the date of its own event),
objections heard at measurements by tag, and the reasons deals were lost. Four queries."""

from django.db.models import Avg, Count, Q, Sum

from leadflow.models import Lead, LeadStatus
from sales.models import Dispute, Measurement

from .common import _prefixed, label_from, ratio, user_names


def sales_per_rep(*, report_filter, scope):
    period = report_filter.period
    events = {
        "handed_off": period.q("handed_off_at"),
        "accepted": period.q("accepted_at"),
        "measured": period.q("measured_at"),
        "won": period.q("closed_at") & Q(status=LeadStatus.WON),
        "lost": period.q("closed_at") & Q(status=LeadStatus.LOST),
    }
    any_event = Q()
    for q in events.values():
        any_event |= q
    leads = Lead.objects.filter(
        any_event,
        scope.leads(),
        report_filter.lead_q(),
        scope.people_q("sales_rep__"),
        sales_rep__isnull=False,
        merged_into__isnull=True,
    )
    aggregates = {key: Count("pk", filter=q) for key, q in events.items()}
    aggregates["quotes"] = Count("pk", filter=events["measured"] & Q(quote_amount__isnull=False))
    aggregates["avg_quote"] = Avg("quote_amount", filter=events["measured"])
    aggregates["revenue"] = Sum("deal_amount", filter=events["won"])
    rows = {}
    for row in leads.values("sales_rep_id").annotate(**aggregates, **user_names("sales_rep")):
        row["label"] = label_from(row, "sales_rep_")
        rows[row["sales_rep_id"]] = row

    disputes = Dispute.objects.filter(
        period.q("raised_at"), scope.leads("lead__"), report_filter.lead_q("lead__", person_fields=())
    ).filter(scope.people_q("sales_rep__"))
    if report_filter.person_id:
        disputes = disputes.filter(sales_rep_id=report_filter.person_id)
    for row in disputes.values("sales_rep_id").annotate(
        **user_names("sales_rep"),
        disputed=Count("pk"),
        disputes_rejected=Count("pk", filter=Q(decision=Dispute.Decision.REJECTED)),
        disputes_upheld=Count("pk", filter=Q(decision=Dispute.Decision.UPHELD)),
    ):
        target = rows.setdefault(
            row["sales_rep_id"],
            {
                "sales_rep_id": row["sales_rep_id"],
                "label": label_from(row, "sales_rep_"),
                **dict.fromkeys(["handed_off", "accepted", "measured", "won", "lost", "quotes"], 0),
                "avg_quote": None,
                "revenue": None,
            },
        )
        target.update({k: row[k] for k in ("disputed", "disputes_rejected", "disputes_upheld")})

    reps = sorted(rows.values(), key=lambda r: r["label"])
    total = {"label": ""}
    for key in ("handed_off", "accepted", "measured", "quotes", "won", "lost", "disputed", "disputes_rejected"):
        for row in reps:
            row.setdefault(key, 0)
        total[key] = sum(row[key] for row in reps)
    total["revenue"] = sum((row["revenue"] or 0) for row in reps)
    total["avg_quote"] = None
    for row in [*reps, total]:
        row.setdefault("disputes_upheld", 0)
        row["win_rate"] = ratio(row["won"], row["won"] + row["lost"])
        row["avg_deal"] = (row["revenue"] / row["won"]) if row["won"] and row["revenue"] else None

    measurement_q = Q(lead__measured_at__gte=period.start, lead__measured_at__lt=period.end)
    measurement_q &= scope.leads("lead__") & report_filter.lead_q("lead__")
    measurement_q &= scope.people_q("lead__sales_rep__")
    through = Measurement.objections.through
    objections = list(
        through.objects.filter(_prefixed(measurement_q, "measurement__"))
        .values("objectiontag__title")
        .annotate(count=Count("pk"))
        .order_by("-count", "objectiontag__title")
    )
    measured_total = total["measured"]
    for row in objections:
        row["label"] = row["objectiontag__title"]
        row["share"] = ratio(row["count"], measured_total)

    lost_reasons = list(
        leads.filter(events["lost"])
        .values("lose_reason__title")
        .annotate(count=Count("pk"))
        .order_by("-count", "lose_reason__title")
    )
    for row in lost_reasons:
        row["label"] = row["lose_reason__title"] or "—"
        row["share"] = ratio(row["count"], total["lost"])
    return {"rows": reps, "total": total, "objections": objections, "lost_reasons": lost_reasons}
