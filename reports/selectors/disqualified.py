"""Disqualified leads: how many were dropped, by reason, by qualifier and by source, and the share
dropped as a modular kitchen (the checklist's first criterion; not our product).

Two bases, both shown on the page (docs/reports.md "Disqualified"):
- by the date of disqualification (`disqualified_at` in the period): the team's work of the period;
- by the month received (cohort: `received_at` in the period): what became of the period's leads,
  with the share of them dropped.
Every row carries both. Credit: the holder when the lead was closed (`qualifier`; disqualifying
does not clear it), else the first caller, as "disqualified" in My stats and the funnel's split.
Modular: the reason's code is `modular` or the lead's product interest is modular.
One grouped query (reason × credited person × source × status: the total and the three tables are
its sums) and one each for the names of the people, the reasons and the sources.
"""

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, LeadStatus, ProductInterest, Reason, Source

from .common import label_credited, ratio, users_by_id
from .drill import NO_VALUE, dim_value, narrow

MODULAR_REASON = "modular"
DISQUALIFY_CREDIT = ("qualifier", "first_called_by")


def modular_q():
    # the reason by id IN (…), not by joining the reason to every lead (the year's page: a join per query)
    modular_reasons = Reason.objects.filter(code=MODULAR_REASON).values("pk")
    return Q(disqualify_reason__in=modular_reasons) | Q(product_interest=ProductInterest.MODULAR)


FIGURES = ("dropped", "modular", "received", "cohort_dropped", "cohort_modular")


def figure_filters(period):
    """figure key → the Q of the leads it counts: the page's counts and its drill-down lists read these."""
    dropped = Q(status=LeadStatus.DISQUALIFIED)
    by_event = dropped & period.q("disqualified_at")
    cohort = period.q("received_at")
    return {
        "disqualified.dropped": by_event,
        "disqualified.modular": by_event & modular_q(),
        "disqualified.received": cohort,
        "disqualified.cohort_dropped": cohort & dropped,
        "disqualified.cohort_modular": cohort & dropped & modular_q(),
    }


def _counts(period):
    return {key.split(".", 1)[1]: Count("pk", filter=q) for key, q in figure_filters(period).items()}


# table (the drill-down's group_by) → the row's field naming its group; the reason and qualifier rows
# count disqualified leads only
DIMENSIONS = {"reason": "disqualify_reason_id", "qualifier": "credited_id", "source": "source_id"}


def disqualified_base(*, report_filter, scope):
    """The leads received or disqualified in the period the viewer may see, filters applied."""
    period = report_filter.period
    return Lead.objects.filter(
        period.q("received_at") | period.q("disqualified_at"),
        scope.leads(),
        report_filter.lead_q(person_fields=DISQUALIFY_CREDIT),
        merged_into__isnull=True,
    )


def _grouped(leads, group_by):
    if group_by in ("reason", "qualifier"):
        leads = leads.filter(status=LeadStatus.DISQUALIFIED)
    if group_by == "qualifier":
        leads = leads.annotate(credited_id=Coalesce(*[f"{name}_id" for name in DISQUALIFY_CREDIT]))
    return leads


def disqualified_dimension_value(row, group_by):
    field_name = DIMENSIONS.get(group_by)
    if field_name is None or field_name not in row:
        return None
    return dim_value(row[field_name])


def disqualified_drilldown(*, figure, report_filter, scope, group_by=None, dim=None):
    """The leads a figure of the page counts, in the row `dim` of the table `group_by` (None: the
    total). Raises KeyError for a figure, table or row value the page does not have."""
    q = figure_filters(report_filter.period)[figure]
    leads = disqualified_base(report_filter=report_filter, scope=scope)
    if dim is not None:
        leads = narrow(_grouped(leads, group_by), DIMENSIONS[group_by], dim)
    return leads.filter(q)


def disqualified_dimension_label(group_by, dim):
    """The name of a drill-down's row (one query at most)."""
    if dim == NO_VALUE:
        return str(_("Not taken")) if group_by == "qualifier" else str(_("No reason"))
    if group_by == "qualifier":
        return users_by_id([int(dim)]).get(int(dim), "—")
    model = Reason if group_by == "reason" else Source
    return (
        model.objects.filter(pk=int(dim)).values_list("title" if model is Reason else "name", flat=True).first() or "—"
    )


def _finish(row, total_dropped):
    row["modular_share"] = ratio(row["modular"], row["dropped"])
    row["share_of_dropped"] = ratio(row["dropped"], total_dropped)
    row["cohort_share"] = ratio(row["cohort_dropped"], row["received"])
    row["cohort_modular_share"] = ratio(row["cohort_modular"], row["cohort_dropped"])
    return row


def _sum_by(rows, key):
    groups = {}
    for row in rows:
        target = groups.setdefault(row[key], {key: row[key], **dict.fromkeys(FIGURES, 0)})
        for figure in FIGURES:
            target[figure] += row[figure]
    return list(groups.values())


def _last_if_none(value):
    return (value is None, value if value is not None else 0)


def disqualified(*, report_filter, scope):
    """One pass over the period's leads, grouped by reason, credited person, source and status; the
    total and the three tables are sums of its rows (four scans of a year's leads took ~1 s)."""
    period = report_filter.period
    leads = disqualified_base(report_filter=report_filter, scope=scope)
    counts = _counts(period)
    credited = Coalesce(*[f"{name}_id" for name in DISQUALIFY_CREDIT])
    cells = list(
        leads.annotate(credited_id=credited)
        .values("disqualify_reason_id", "credited_id", "source_id", "status")
        .annotate(**counts)
        .order_by()
    )
    dropped_cells = [row for row in cells if row["status"] == LeadStatus.DISQUALIFIED]
    total = {figure: sum(row[figure] for row in cells) for figure in FIGURES}
    total = _finish(total, None)
    total["share_of_dropped"] = 1.0 if total["dropped"] else None

    reasons = _sum_by(dropped_cells, "disqualify_reason_id")
    titles = dict(
        Reason.objects.filter(pk__in=[row["disqualify_reason_id"] for row in reasons]).values_list("pk", "title")
    )
    for row in reasons:
        row["disqualify_reason__title"] = titles.get(row["disqualify_reason_id"])
        row["label"] = row["disqualify_reason__title"] or str(_("No reason"))
        _finish(row, total["dropped"])
    reasons.sort(key=lambda row: (-row["dropped"], row["disqualify_reason__title"] is None, row["label"]))

    people = _sum_by(dropped_cells, "credited_id")
    people.sort(key=lambda row: (-row["dropped"], *_last_if_none(row["credited_id"])))
    label_credited(people, nobody=str(_("Not taken")))
    people = [_finish(row, total["dropped"]) for row in people]

    sources = _sum_by(cells, "source_id")
    names = dict(Source.objects.filter(pk__in=[row["source_id"] for row in sources]).values_list("pk", "name"))
    for row in sources:
        row["source__name"] = row["label"] = names.get(row["source_id"])
        _finish(row, total["dropped"])
    sources.sort(key=lambda row: (-row["dropped"], row["label"] or ""))
    return {"total": total, "reasons": reasons, "people": people, "sources": sources}
