import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, LeadStatus
from leadflow.people import display_name


class ClosedDealTable(tables.Table):
    name = tables.Column(verbose_name=_("Client"), linkify=("sales:deal", [tables.A("pk")]), empty_values=())
    status = tables.Column(verbose_name=_("Outcome"))
    sales_rep = tables.Column(verbose_name=_("Sales rep"), accessor="sales_rep", order_by=("sales_rep__last_name",))
    amount = tables.Column(verbose_name=_("Amount, ₽"), empty_values=(), order_by=("deal_amount",))
    lose_reason = tables.Column(verbose_name=_("Reason"), empty_values=())
    closed_at = tables.DateTimeColumn(verbose_name=_("Closed"), format="d.m.Y")

    class Meta:
        model = Lead
        fields = ["name", "phone", "address", "status", "sales_rep", "amount", "lose_reason", "closed_at"]
        attrs = {"class": "table table-sm table-hover bg-white align-middle"}
        order_by = ("-closed_at",)

    def render_name(self, record):
        return record.name or record.phone

    def render_status(self, record):
        css = "success" if record.status == LeadStatus.WON else "secondary"
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_status_display())

    def render_sales_rep(self, value):
        return display_name(value)

    def render_amount(self, record):
        amount = record.deal_amount if record.status == LeadStatus.WON else record.quote_amount
        return f"{amount:,.0f}".replace(",", "\u00a0") if amount is not None else "—"

    def render_lose_reason(self, record):
        if record.lose_reason is None:
            return "—"
        if record.competitor:
            return f"{record.lose_reason} ({record.competitor})"
        return str(record.lose_reason)
