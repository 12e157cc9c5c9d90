"""Tables of the qualifier's workspace (django-tables2). Cells render from annotated rows only."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.models import HandoffState, LeadStatus, SlaState
from leadflow.people import display_name

from .queue_order import QueueBucket

OPEN_SLA = {SlaState.PENDING, SlaState.WARNED, SlaState.BREACHED}
STATUS_BADGES = {
    LeadStatus.NEW: "text-bg-primary",
    LeadStatus.QUALIFYING: "text-bg-info",
    LeadStatus.QUALIFIED: "text-bg-success",
    LeadStatus.DISQUALIFIED: "text-bg-secondary",
    LeadStatus.HANDED_OFF: "text-bg-success",
    LeadStatus.MEASURED: "text-bg-success",
    LeadStatus.WON: "text-bg-success",
    LeadStatus.LOST: "text-bg-dark",
}


BUCKET_BADGES = {
    QueueBucket.CALLBACK_DUE: ("text-bg-primary", _("The client was promised a call at this time")),
    QueueBucket.IN_TIME: ("text-bg-success", _("No call yet; the deadline can still be met")),
    QueueBucket.LATE: ("text-bg-danger", _("No call yet; the deadline has passed")),
    QueueBucket.FOLLOW_UP: ("text-bg-secondary", _("First call made: a follow-up or a callback for later")),
}


def _iso(moment):
    return moment.isoformat() if moment else ""


def _flag(condition):
    """A boolean data attribute: present (empty) when true, left out when false."""
    return "" if condition else None


def _row_class(record):
    if (record.callback_at and record.callback_at <= timezone.now()) or record.client_called_back_at:
        return "sla-callback"
    if record.sla_state in OPEN_SLA and record.first_call_at is None:
        return f"sla-{record.sla_state}"
    return ""


class QueueTable(tables.Table):
    queue_bucket = tables.Column(
        verbose_name=_("Priority"),
        order_by=("queue_bucket", "due_at", "received_at"),
        attrs={"td": {"class": "text-nowrap"}},
    )
    due = tables.Column(
        verbose_name=_("Call by"),
        accessor="due_at",
        order_by=("queue_bucket", "due_at", "received_at"),
        attrs={"td": {"class": "text-nowrap"}},
    )
    received_at = tables.DateTimeColumn(
        verbose_name=_("Received"), format="d.m H:i", attrs={"td": {"class": "text-nowrap"}}
    )
    name = tables.Column(verbose_name=_("Client"), order_by=("name", "phone"))
    source = tables.Column(verbose_name=_("Source"), order_by=("source__name",))
    region = tables.Column(verbose_name=_("Region"), order_by=("region", "city"), default="—")
    product_interest = tables.Column(verbose_name=_("Product"))
    status = tables.Column(verbose_name=_("Status"))
    qualifier = tables.Column(verbose_name=_("Held by"), order_by=("qualifier__first_name", "claimed_at"))
    attempts = tables.Column(verbose_name=_("Calls"), attrs={"td": {"class": "text-center"}})
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta:
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-hover table-sm align-middle mb-2 queue-table", "data-testid": "queue-table"}
        row_attrs = {
            "class": _row_class,
            "data-lead-id": lambda record: record.pk,
            # what the workspace's alerts watch (static/leadflow/workspace.js)
            "data-unclaimed": lambda record: _flag(record.status == LeadStatus.NEW and record.qualifier_id is None),
            "data-callback-due": lambda record: _flag(record.callback_at and record.callback_at <= timezone.now()),
            "data-lead-name": lambda record: str(record),
        }
        orderable = True
        empty_text = _("The queue is empty. New leads appear here by themselves.")

    def __init__(self, *args, user=None, manager=False, click_to_call=False, **kwargs):
        self.user = user
        self.click_to_call = click_to_call
        if not manager:
            kwargs.setdefault("exclude", ("qualifier",))
        super().__init__(*args, **kwargs)

    def render_queue_bucket(self, value):
        bucket = QueueBucket(value)
        css, title = BUCKET_BADGES[bucket]
        return format_html(
            '<span class="badge {} queue-bucket" title="{}" data-testid="queue-bucket" data-bucket="{}">{}</span>',
            css,
            title,
            bucket.value,
            bucket.label,
        )

    def render_due(self, record):
        if record.client_called_back_at:
            return format_html(
                '<span class="badge text-bg-danger" data-testid="called-back">{}</span> {}',
                _("Client called back"),
                timezone.localtime(record.client_called_back_at).strftime("%H:%M"),
            )
        if record.callback_at:
            return format_html(
                '<span class="badge text-bg-primary me-1">{}</span>'
                '<span class="countdown" data-deadline="{}" data-kind="callback">{}</span>',
                _("Callback"),
                _iso(record.callback_at),
                timezone.localtime(record.callback_at).strftime("%d.%m %H:%M"),
            )
        if record.sla_state in OPEN_SLA and record.sla_breach_at and record.first_call_at is None:
            return format_html(
                '<span class="sla-dot sla-dot-{state}" title="{label}"></span>'
                '<span class="countdown" data-deadline="{deadline}" data-warn="{warn}" data-kind="sla"'
                ' data-testid="countdown">{local}</span>',
                state=record.sla_state,
                label=record.get_sla_state_display(),
                deadline=_iso(record.sla_breach_at),
                warn=_iso(record.sla_warn_at),
                local=timezone.localtime(record.sla_breach_at).strftime("%H:%M"),
            )
        return format_html('<span class="text-muted small">{}</span>', record.get_sla_state_display())

    def render_name(self, record):
        return format_html(
            '<a href="{}" class="fw-semibold text-decoration-none">{}</a><div class="small text-muted">{}</div>',
            reverse("qualification:lead", args=[record.pk]),
            record.name or _("(no name)"),
            record.phone,
        )

    def render_region(self, record):
        parts = [record.city] + ([record.region] if record.region != record.city else [])
        return ", ".join(filter(None, parts)) or "—"

    def render_product_interest(self, record):
        return record.get_product_interest_display()

    def render_status(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            STATUS_BADGES.get(record.status, "text-bg-light"),
            record.get_status_display(),
        )

    def render_qualifier(self, record):
        if record.qualifier is None:
            return format_html('<span class="text-muted">{}</span>', _("unclaimed"))
        held = ""
        if record.claimed_at:
            held = format_html(
                '<div class="small text-muted">{} <span class="elapsed" data-since="{}"></span></div>',
                _("for"),
                _iso(record.claimed_at),
            )
        return format_html("{}{}", display_name(record.qualifier), held)

    def render_actions(self, record):
        if record.status == LeadStatus.NEW and record.qualifier_id is None:
            return format_html(
                '<form method="post" action="{}" class="d-inline">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button class="btn btn-sm btn-outline-primary">{}</button></form>',
                reverse("qualification:claim", args=[record.pk]),
                self.csrf_token,
                _("Take"),
            )
        open_link = format_html(
            '<a class="btn btn-sm btn-outline-secondary" href="{}">{}</a>',
            reverse("qualification:lead", args=[record.pk]),
            _("Open"),
        )
        if self.click_to_call and record.status == LeadStatus.QUALIFYING and record.qualifier_id == self.user.pk:
            return format_html(
                '<form method="post" action="{}" class="d-inline me-1">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button class="btn btn-sm btn-success" data-testid="row-call" data-shortcut="call">{}</button>'
                "</form>{}",
                reverse("qualification:call-place", args=[record.pk]),
                self.csrf_token,
                _("Place the call"),
                open_link,
            )
        return open_link

    csrf_token = ""


HANDOFF_OUTCOMES = {
    "pending": (_("Awaiting acceptance"), "text-bg-warning"),
    "accepted": (_("Accepted"), "text-bg-info"),
    "disputed": (_("Disputed"), "text-bg-danger"),
    "returned": (_("Returned to qualification"), "text-bg-danger"),
    "measured": (_("Measured"), "text-bg-primary"),
    "won": (_("Won"), "text-bg-success"),
    "lost": (_("Lost"), "text-bg-dark"),
}


def handoff_outcome(lead):
    if lead.status == LeadStatus.WON:
        return "won"
    if lead.status == LeadStatus.LOST:
        return "lost"
    if lead.status == LeadStatus.MEASURED:
        return "measured"
    if lead.status in (LeadStatus.QUALIFYING, LeadStatus.QUALIFIED):
        return "returned"
    if lead.handoff_state == HandoffState.DISPUTED:
        return "disputed"
    if lead.handoff_state == HandoffState.ACCEPTED:
        return "accepted"
    return "pending"


class HandoffTable(tables.Table):
    handed_off_at = tables.DateTimeColumn(verbose_name=_("Handed off"), format="d.m.Y H:i")
    name = tables.Column(verbose_name=_("Client"), order_by=("name", "phone"))
    source = tables.Column(verbose_name=_("Source"), order_by=("source__name",))
    sales_rep = tables.Column(verbose_name=_("Sales rep"), order_by=("sales_rep__first_name",))
    outcome = tables.Column(verbose_name=_("Outcome"), empty_values=(), accessor="status")
    deal_amount = tables.Column(verbose_name=_("Deal, ₽"), attrs={"td": {"class": "text-end"}})

    class Meta:
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-hover table-sm align-middle", "data-testid": "handoffs-table"}
        empty_text = _("You have not handed off any leads yet.")

    def render_name(self, record):
        return format_html(
            '<a href="{}">{}</a> <span class="small text-muted">{}</span>',
            reverse("qualification:lead", args=[record.pk]),
            record.name or record.phone,
            record.phone,
        )

    def render_sales_rep(self, record):
        return display_name(record.sales_rep)

    def render_outcome(self, record):
        label, css = HANDOFF_OUTCOMES[handoff_outcome(record)]
        extra = ""
        if record.status == LeadStatus.LOST and record.lose_reason:
            extra = format_html(' <span class="small text-muted">{}</span>', record.lose_reason)
        return format_html('<span class="badge {}" data-testid="outcome">{}</span>{}', css, label, extra)

    def render_deal_amount(self, value):
        return f"{value:,.0f}".replace(",", "\u00a0")
