"""The leads list (a preview of the rows; the export has them all)."""

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow import access

from .. import selectors
from ..tables import Column, ReportTable

LEADS_PREVIEW = 100  # rows shown on the page; the export has them all


CONTACT_COLUMNS = ("name", "phone", "email", "address")


def leads_page(*, report_filter, scope, drill=None, page_number=None, contacts=True):
    """The leads of the period with the client's contacts (for managers and the director); with
    `drill` (reports.drilldown) only the leads behind that figure, paginated. Without `contacts` (a
    person's own figures on My stats) the list and its export leave the client's contacts out."""
    rows = selectors.leads_with_contacts(
        report_filter=report_filter, scope=scope, leads=drill["leads"] if drill else None
    )
    for row in rows:
        row["received"] = timezone.localtime(row["received_at"]).strftime("%d.%m.%Y %H:%M")
        row["closed"] = timezone.localtime(row["closed_at"]).strftime("%d.%m.%Y") if row["closed_at"] else ""
    table = ReportTable(
        "leads",
        _("Leads with contacts"),
        [
            Column("pk", _("Lead no."), "id"),
            Column("received", _("Received"), "text"),
            Column("name", _("Client"), "text"),
            Column("phone", _("Phone"), "text"),
            Column("email", _("E-mail"), "text"),
            Column("city", _("City"), "text"),
            Column("region", _("Region"), "text"),
            Column("address", _("Address"), "text"),
            Column("source__name", _("Source"), "text"),
            Column("status_label", _("Status"), "text"),
            Column("qualified_by", _("Qualified by"), "text"),
            Column("sales_rep", _("Sales rep"), "text"),
            Column("deal_amount", _("Deal amount"), "money"),
            Column("closed", _("Closed"), "text"),
        ],
        rows,
        note=_("Client contacts: the export is logged and visible to the director."),
        export_kind=access.EXPORT_CONTACTS,
    )
    if not contacts:
        table = ReportTable(
            "leads",
            _("My leads"),
            [column for column in table.columns if column.key not in CONTACT_COLUMNS],
            rows,
            note=_("The client's contacts are on the lead's card."),
            export_kind=access.EXPORT_OWN,
        )
    page_obj = Paginator(rows, LEADS_PREVIEW).get_page(page_number)
    preview = ReportTable(table.slug, table.title, table.columns, list(page_obj.object_list), note=table.note)
    return {
        "tables": [table],
        "preview": preview,
        "count": len(rows),
        "distinct_leads": len({row["pk"] for row in rows}),
        "preview_limit": LEADS_PREVIEW,
        "page_obj": page_obj,
        "drill": drill,
    }
