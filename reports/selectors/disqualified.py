"""Disqualified leads: how many were dropped, by reason, by qualifier and by source, and the share
dropped as a modular kitchen (the checklist's first criterion; not our product).

Two bases, both shown on the page (docs/reports.md "Disqualified"):
- by the date of disqualification (`disqualified_at` in the period): the team's work of the period;
- by the month received (cohort: `received_at` in the period): what became of the period's leads,
  with the share of them dropped.
Every row carries both. Credit: the holder when the lead was closed (`qualifier`; disqualifying
does not clear it), else the first caller, as "disqualified" in My stats and the funnel's split.
Modular: the reason's code is `modular` or the lead's product interest is modular.
Four queries (summary, reasons, people, sources) and one for the people's names.
"""

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, LeadStatus, ProductInterest

from .common import label_credited, ratio

MODULAR_REASON = "modular"
DISQUALIFY_CREDIT = ("qualifier", "first_called_by")


def modular_q():
    return Q(disqualify_reason__code=MODULAR_REASON) | Q(product_interest=ProductInterest.MODULAR)


def _counts(period):
    dropped = Q(status=LeadStatus.DISQUALIFIED)
    by_event = dropped & period.q("disqualified_at")
    cohort = period.q("received_at")
    return {
        "dropped": Count("pk", filter=by_event),
        "modular": Count("pk", filter=by_event & modular_q()),
        "received": Count("pk", filter=cohort),
        "cohort_dropped": Count("pk", filter=cohort & dropped),
        "cohort_modular": Count("pk", filter=cohort & dropped & modular_q()),
    }


def _finish(row, total_dropped):
    row["modular_share"] = ratio(row["modular"], row["dropped"])
    row["share_of_dropped"] = ratio(row["dropped"], total_dropped)
    row["cohort_share"] = ratio(row["cohort_dropped"], row["received"])
    row["cohort_modular_share"] = ratio(row["cohort_modular"], row["cohort_dropped"])
    return row


def disqualified(*, report_filter, scope):
    period = report_filter.period
    leads = Lead.objects.filter(
        period.q("received_at") | period.q("disqualified_at"),
        scope.leads(),
        report_filter.lead_q(person_fields=("qualifier", "first_called_by")),
        merged_into__isnull=True,
    )
    counts = _counts(period)
    total = _finish(leads.aggregate(**counts), None)
    total["share_of_dropped"] = 1.0 if total["dropped"] else None
    dropped_leads = leads.filter(status=LeadStatus.DISQUALIFIED)

    reasons = []
    for row in (
        dropped_leads.values("disqualify_reason_id", "disqualify_reason__title")
        .annotate(**counts)
        .order_by("-dropped", "disqualify_reason__title")
    ):
        row["label"] = row["disqualify_reason__title"] or str(_("No reason"))
        reasons.append(_finish(row, total["dropped"]))

    people = list(
        dropped_leads.annotate(credited_id=Coalesce(*[f"{name}_id" for name in DISQUALIFY_CREDIT]))
        .values("credited_id")
        .annotate(**counts)
        .order_by("-dropped", "credited_id")
    )
    label_credited(people, nobody=str(_("Not taken")))
    people = [_finish(row, total["dropped"]) for row in people]

    sources = []
    for row in leads.values("source_id", "source__name").annotate(**counts).order_by("-dropped", "source__name"):
        row["label"] = row["source__name"]
        sources.append(_finish(row, total["dropped"]))
    return {"total": total, "reasons": reasons, "people": people, "sources": sources}
