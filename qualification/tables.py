"""Tables of the qualifier's workspace (django-tables2). Cells render from annotated rows only."""

import html

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import AttributeDict

from leadflow.models import HandoffState, Lead, LeadStatus, SlaState
from leadflow.people import display_name

from .queue_order import QueueBucket

EMPTY = (None, "")  # a column's empty values: the cell shows its default, "—" (django-tables2's rule)
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


def _row_class(record, now):
    if (record.callback_at and record.callback_at <= now) or record.client_called_back_at:
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
        attrs = {"class": "table table-hover table-sm align-middle mb-2 queue-table", "data-testid": "queue-table"}
        template_name = "qualification/_queue_table_rows.html"  # the rows from `page_rows`
        orderable = True
        empty_text = _("The queue is empty. New leads appear here by themselves.")

    def __init__(self, *args, user=None, manager=False, click_to_call=False, **kwargs):
        self.user = user
        self.click_to_call = click_to_call
        if not manager:
            kwargs.setdefault("exclude", ("qualifier",))
        super().__init__(*args, **kwargs)

    csrf_token = ""

    def page_rows(self):
        """The page's rows as HTML, one string per row (the template joins them): QueueRows formats the
        cells without django-tables2's per-cell machinery, which cost most of the page's CPU."""
        columns = [(column.name, column.attrs["td"].as_html()) for column in self.columns]
        rows = self.page.object_list if self.page else self.rows  # BoundRows: each wraps its record
        return QueueRows(self, columns).html(row.record for row in rows)


def _url_of(name):
    """pk → the URL of route `name` (one lead id argument), reversed once instead of once per row."""
    sentinel = 987654321
    prefix, suffix = reverse(name, args=[sentinel]).split(str(sentinel))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _escape(value):
    """conditional_escape without its lazy-string wrapper, whose checks cost more than the escaping: the
    values here are plain (labels are translated once per page). Same output (Django's escape is
    html.escape)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _format(template, *args, **kwargs):
    """format_html with `_escape`: the same markup."""
    return mark_safe(  # noqa: S308  (every argument escaped)
        template.format(*map(_escape, args), **{key: _escape(value) for key, value in kwargs.items()})
    )


def _labels(choices):
    return {value: str(label) for value, label in choices}


class QueueRows:
    """The queue table's rows as HTML: what django-tables2 rendered cell by cell (a column's `render_*`
    method, or its default "—" when the value is None or empty), formatted here in one pass per row with
    the page's labels, URLs and clock computed once. The markup is the same; tests/qualification/
    test_queue_rows.py holds the cells."""

    def __init__(self, table, columns):
        self.columns = columns  # (name, the td's attributes as HTML), the table's visible columns in order
        self.user = table.user
        self.click_to_call = table.click_to_call
        self.csrf_token = table.csrf_token
        self.now = timezone.now()
        self.lead_url = _url_of("qualification:lead")
        self.claim_url = _url_of("qualification:claim")
        self.call_url = _url_of("qualification:call-place")
        self.buckets = {  # the four badges, formatted once
            bucket.value: _format(
                '<span class="badge {} queue-bucket" title="{}" data-testid="queue-bucket" data-bucket="{}">{}</span>',
                css,
                title,
                bucket.value,
                bucket.label,
            )
            for bucket, (css, title) in BUCKET_BADGES.items()
        }
        self.sla_labels = _labels(SlaState.choices)
        self.status_labels = _labels(LeadStatus.choices)
        self.status_badges = {}  # status → its badge, formatted at its first row
        self.product_labels = _labels(Lead._meta.get_field("product_interest").flatchoices)
        self.text = {
            "called_back": gettext("Client called back"),
            "callback": gettext("Callback"),
            "take": gettext("Take"),
            "open": gettext("Open"),
            "call": gettext("Place the call"),
            "for": gettext("for"),
        }
        self.cells = {name: getattr(self, f"_{name}") for name, _attrs in columns}

    def html(self, records):
        return [self._row(index, record) for index, record in enumerate(records)]

    def _row(self, index, record):
        now = self.now
        css = _row_class(record, now)
        parity = "odd" if index % 2 else "even"
        attrs = {
            "class": f"{css} {parity}" if css else parity,
            "data-lead-id": record.pk,
            # what the workspace's alerts watch (static/leadflow/workspace.js)
            "data-unclaimed": _flag(record.status == LeadStatus.NEW and record.qualifier_id is None),
            "data-callback-due": _flag(record.callback_at and record.callback_at <= now),
            "data-lead-name": str(record),
        }
        cells = "".join([f"<td {td}>{_escape(self.cells[name](record))}</td>" for name, td in self.columns])
        return mark_safe(f"<tr {AttributeDict(attrs).as_html()}>{cells}</tr>")  # noqa: S308  (every part escaped)

    # one method per column: the cell's content (escaped unless it is already safe HTML)

    def _queue_bucket(self, record):
        if record.queue_bucket in EMPTY:
            return "—"
        return self.buckets[record.queue_bucket]

    def _due(self, record):
        if record.due_at in EMPTY:
            return "—"
        if record.client_called_back_at:
            return _format(
                '<span class="badge text-bg-danger" data-testid="called-back">{}</span> {}',
                self.text["called_back"],
                timezone.localtime(record.client_called_back_at).strftime("%H:%M"),
            )
        if record.callback_at:
            return _format(
                '<span class="badge text-bg-primary me-1">{}</span>'
                '<span class="countdown" data-deadline="{}" data-kind="callback">{}</span>',
                self.text["callback"],
                _iso(record.callback_at),
                timezone.localtime(record.callback_at).strftime("%d.%m %H:%M"),
            )
        sla_label = self.sla_labels.get(record.sla_state, record.sla_state)
        if record.sla_state in OPEN_SLA and record.sla_breach_at and record.first_call_at is None:
            return _format(
                '<span class="sla-dot sla-dot-{state}" title="{label}"></span>'
                '<span class="countdown" data-deadline="{deadline}" data-warn="{warn}" data-kind="sla"'
                ' data-testid="countdown">{local}</span>',
                state=record.sla_state,
                label=sla_label,
                deadline=_iso(record.sla_breach_at),
                warn=_iso(record.sla_warn_at),
                local=timezone.localtime(record.sla_breach_at).strftime("%H:%M"),
            )
        return _format('<span class="text-muted small">{}</span>', sla_label)

    def _received_at(self, record):
        if record.received_at in EMPTY:
            return "—"
        return timezone.localtime(record.received_at).strftime("%d.%m %H:%M")

    def _name(self, record):
        if record.name in EMPTY:  # as django-tables2 did: no name, no link (the row's "Open" still is)
            return "—"
        return _format(
            '<a href="{}" class="fw-semibold text-decoration-none">{}</a><div class="small text-muted">{}</div>',
            self.lead_url(record.pk),
            record.name,
            record.phone,
        )

    def _source(self, record):
        return "—" if record.source in EMPTY else record.source

    def _region(self, record):
        if record.region in EMPTY:
            return "—"
        parts = [record.city] + ([record.region] if record.region != record.city else [])
        return ", ".join(filter(None, parts)) or "—"

    def _product_interest(self, record):
        value = record.product_interest
        return "—" if value in EMPTY else self.product_labels.get(value, value)

    def _status(self, record):
        badge = self.status_badges.get(record.status)
        if badge is None:
            badge = self.status_badges[record.status] = _format(
                '<span class="badge {}">{}</span>',
                STATUS_BADGES.get(record.status, "text-bg-light"),
                self.status_labels.get(record.status, record.status),
            )
        return badge

    def _qualifier(self, record):
        if record.qualifier is None:
            return "—"
        held = ""
        if record.claimed_at:
            held = _format(
                '<div class="small text-muted">{} <span class="elapsed" data-since="{}"></span></div>',
                self.text["for"],
                _iso(record.claimed_at),
            )
        return _format("{}{}", display_name(record.qualifier), held)

    def _attempts(self, record):
        return "—" if record.attempts in EMPTY else localize(record.attempts)

    def _actions(self, record):
        if record.status == LeadStatus.NEW and record.qualifier_id is None:
            return _format(
                '<form method="post" action="{}" class="d-inline">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button class="btn btn-sm btn-outline-primary">{}</button></form>',
                self.claim_url(record.pk),
                self.csrf_token,
                self.text["take"],
            )
        open_link = _format(
            '<a class="btn btn-sm btn-outline-secondary" href="{}">{}</a>', self.lead_url(record.pk), self.text["open"]
        )
        if self.click_to_call and record.status == LeadStatus.QUALIFYING and record.qualifier_id == self.user.pk:
            return _format(
                '<form method="post" action="{}" class="d-inline me-1">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button class="btn btn-sm btn-success" data-testid="row-call" data-shortcut="call">{}</button>'
                "</form>{}",
                self.call_url(record.pk),
                self.csrf_token,
                self.text["call"],
                open_link,
            )
        return open_link


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
