"""Sales per rep: what each rep did in the period (each count by the date of its own event),
objections heard at measurements by tag, and the reasons deals were lost. Four queries: the reps'
counts and the reasons for losing in one pass over the period's leads, the disputes, the objections,
the reasons' titles."""

from django.db.models import Count, Q, Sum

from leadflow.models import Lead, LeadStatus, Reason
from sales.models import Dispute, Measurement

from .common import _prefixed, label_from, ratio, user_names, users_by_id
from .drill import NO_VALUE, narrow


def lead_events(period):
    """figure → the Q of the leads it counts, each event by its own date."""
    return {
        "handed_off": period.q("handed_off_at"),
        "accepted": period.q("accepted_at"),
        "measured": period.q("measured_at"),
        "quotes": period.q("measured_at") & Q(quote_amount__isnull=False),
        "won": period.q("closed_at") & Q(status=LeadStatus.WON),
        "lost": period.q("closed_at") & Q(status=LeadStatus.LOST),
    }


DISPUTE_FIGURES = {"disputed": Q(), "disputes_rejected": Q(decision=Dispute.Decision.REJECTED)}


def sales_leads(*, report_filter, scope):
    """The leads with an event of the period worked by a rep in scope."""
    any_event = Q()
    for q in lead_events(report_filter.period).values():
        any_event |= q
    return Lead.objects.filter(
        any_event,
        scope.leads(),
        report_filter.lead_q(),
        scope.people_q("sales_rep__"),
        sales_rep__isnull=False,
        merged_into__isnull=True,
    )


def dispute_q(*, report_filter, scope, prefix=""):
    """The disputes raised in the period on the reps in scope: a Q over Dispute (prefix "") or over
    Lead through its disputes ("disputes__")."""
    q = report_filter.period.q("raised_at", prefix) & scope.people_q(f"{prefix}sales_rep__")
    if report_filter.person_id:
        q &= Q(**{f"{prefix}sales_rep_id": report_filter.person_id})
    return q


def measurement_q(*, report_filter, scope, prefix=""):
    """The measurements of the period (by the lead's `measured_at`): a Q over the lead (`prefix`)."""
    period = report_filter.period
    q = Q(**{f"{prefix}measured_at__gte": period.start, f"{prefix}measured_at__lt": period.end})
    q &= scope.leads(prefix) & report_filter.lead_q(prefix)
    return q & scope.people_q(f"{prefix}sales_rep__")


def sales_drilldown(*, figure, report_filter, scope, group_by=None, dim=None):
    """The leads behind a figure of the sales page in the row of a rep ("rep"), an objection
    ("objection", once per measurement) or a reason for losing ("lost_reason"); dim None: the total.
    The disputes list a lead once per dispute. KeyError for what the page does not have."""
    key = figure.split(".", 1)[1]
    if key in DISPUTE_FIGURES:
        q = dispute_q(report_filter=report_filter, scope=scope, prefix="disputes__")
        q &= _prefixed(DISPUTE_FIGURES[key], "disputes__")
        leads = Lead.objects.filter(scope.leads(), report_filter.lead_q(person_fields=()))
        if dim is not None:
            if group_by != "rep":
                raise KeyError(group_by)
            q &= Q(disputes__sales_rep__isnull=True) if dim == NO_VALUE else Q(disputes__sales_rep_id=_id(dim))
        return leads.filter(q)
    if key == "objection":
        if group_by != "objection" or dim is None:
            raise KeyError(group_by)
        q = measurement_q(report_filter=report_filter, scope=scope) & Q(measurement__objections=_id(dim))
        return Lead.objects.filter(q)
    q = lead_events(report_filter.period)[key]
    leads = sales_leads(report_filter=report_filter, scope=scope).filter(q)
    if dim is None:
        return leads
    if group_by == "rep":
        return narrow(leads, "sales_rep_id", dim)
    if group_by == "lost_reason" and key == "lost":
        return narrow(leads, "lose_reason_id", dim)
    raise KeyError(group_by)


def _id(dim):
    try:
        return int(dim)
    except (TypeError, ValueError):
        raise KeyError(dim) from None


def sales_per_rep(*, report_filter, scope):
    period = report_filter.period
    events = lead_events(period)
    leads = sales_leads(report_filter=report_filter, scope=scope)
    aggregates = {key: Count("pk", filter=q) for key, q in events.items()}
    aggregates["quote_sum"] = Sum("quote_amount", filter=events["measured"])
    aggregates["quote_n"] = Count("quote_amount", filter=events["measured"])
    aggregates["revenue"] = Sum("deal_amount", filter=events["won"])
    # one pass per (rep, reason for losing): the reps' rows and the lost reasons' counts (a year at 1 M
    # leads scanned the period twice: 0.3 s for the reasons alone)
    rows, lost_by_reason = {}, {}
    # names afterwards (users_by_id): a name subquery in the grouped query kept it off the parallel plan
    grouped = leads.values("sales_rep_id", "lose_reason_id").annotate(**aggregates)
    for part in grouped.order_by():
        if part["lost"]:
            reason = part["lose_reason_id"]
            lost_by_reason[reason] = lost_by_reason.get(reason, 0) + part["lost"]
        row = rows.get(part["sales_rep_id"])
        if row is None:
            rows[part["sales_rep_id"]] = part
            continue
        for key in [*events, "quote_n"]:
            row[key] += part[key]
        for key in ("quote_sum", "revenue"):
            if part[key] is not None:
                row[key] = part[key] if row[key] is None else row[key] + part[key]
    names = users_by_id([pk for pk in rows if pk is not None])
    for row in rows.values():
        row["label"] = names.get(row["sales_rep_id"], "—")
        quote_sum, quote_n = row.pop("quote_sum"), row.pop("quote_n")
        row["avg_quote"] = quote_sum / quote_n if quote_n else None
        row.pop("lose_reason_id")

    disputes = Dispute.objects.filter(
        scope.leads("lead__"),
        report_filter.lead_q("lead__", person_fields=()),
        dispute_q(report_filter=report_filter, scope=scope),
    )
    for row in disputes.values("sales_rep_id").annotate(
        **user_names("sales_rep"),
        **{key: Count("pk", filter=q) if q else Count("pk") for key, q in DISPUTE_FIGURES.items()},
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

    measured_q = measurement_q(report_filter=report_filter, scope=scope, prefix="lead__")
    through = Measurement.objections.through
    objections = list(
        through.objects.filter(_prefixed(measured_q, "measurement__"))
        .values("objectiontag_id", "objectiontag__title")
        .annotate(count=Count("pk"))
        .order_by("-count", "objectiontag__title")
    )
    measured_total = total["measured"]
    for row in objections:
        row["label"] = row["objectiontag__title"]
        row["share"] = ratio(row["count"], measured_total)

    titles = dict(Reason.objects.filter(pk__in=[pk for pk in lost_by_reason if pk]).values_list("pk", "title"))
    lost_reasons = [
        {"lose_reason_id": pk, "lose_reason__title": titles.get(pk), "count": count}
        for pk, count in lost_by_reason.items()
    ]
    lost_reasons.sort(
        key=lambda row: (-row["count"], row["lose_reason__title"] is None, row["lose_reason__title"] or "")
    )
    for row in lost_reasons:
        row["label"] = row["lose_reason__title"] or "—"
        row["share"] = ratio(row["count"], total["lost"])
    return {"rows": reps, "total": total, "objections": objections, "lost_reasons": lost_reasons}
