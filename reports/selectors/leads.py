"""The leads behind the figures, with the client's contacts: the one report table that lists leads.

One query: the leads of the period (by arrival) in the viewer's scope and filters, with the source
and the people's names joined. Only `reports.pages.leads_page` uses it; the export is for managers
and the director (`leadflow.access.EXPORT_CONTACTS`)."""

from leadflow.models import LeadStatus

from .common import label_from, user_name_fields
from .funnel import lead_base

PEOPLE = ("qualified_by", "sales_rep")


def leads_with_contacts(*, report_filter, scope, leads=None):
    """`leads`: a narrower queryset of lead_base (a figure's drill-down); the period's leads without it."""
    fields = [
        "pk",
        "received_at",
        "name",
        "phone",
        "email",
        "city",
        "address",
        "region",
        "source__name",
        "status",
        "deal_amount",
        "closed_at",
    ]
    for who in PEOPLE:
        fields += user_name_fields(f"{who}__")
    statuses = dict(LeadStatus.choices)
    rows = []
    if leads is None:
        leads = lead_base(report_filter=report_filter, scope=scope)
    for row in leads.order_by("received_at", "pk").values(*fields):
        row["status_label"] = str(statuses.get(row["status"], row["status"]))
        for who in PEOPLE:
            has_person = row[f"{who}__username"] is not None
            row[who] = label_from(row, f"{who}__") if has_person else ""
        rows.append(row)
    return rows
