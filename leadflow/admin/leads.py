"""Leads (read, import, corrections through the services), inquiries, notifications, heartbeat, history."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from leadflow.people import display_name

from .. import access
from ..admin_scope import ScopedAdmin, everyone_rows, lead_rows
from ..forms import ImportUploadForm
from ..importing import ImportFileError, import_leads
from ..models import EngineHeartbeat, Inquiry, Lead, LeadStatus, Notification
from ..phones import normalize_phone
from .common import ReadOnlyAdminMixin

User = get_user_model()

User = get_user_model()


# --- leads --------------------------------------------------------------------------------------


class LeadHistoryInline(GenericTabularInline):
    """The lead's append-only history: transitions and events (received, repeat inquiry, SLA…)."""

    model = StateLog
    verbose_name = _("history row")
    verbose_name_plural = _("history")
    fields = ("when", "event", "from_status", "to_status", "who", "details")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("when"))
    def when(self, row):
        return date_format(timezone.localtime(row.timestamp), "DATETIME_FORMAT")

    @admin.display(description=_("event"))
    def event(self, row):
        return row.transition

    @admin.display(description=_("status before"))
    def from_status(self, row):
        return LeadStatus(row.source_state).label if row.source_state in LeadStatus.values else "—"

    @admin.display(description=_("status after"))
    def to_status(self, row):
        return LeadStatus(row.state).label if row.state in LeadStatus.values else row.state

    @admin.display(description=_("details"))
    def details(self, row):
        return row.description or "—"

    @admin.display(description=_("who"))
    def who(self, row):
        return display_name(row.by) if row.by else _("system")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("leadflow.view_lead")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by").order_by("timestamp", "pk")


class InquiryInline(admin.TabularInline):
    model = Inquiry
    fields = ("received_at", "source", "channel", "external_id", "is_repeat", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source").order_by("received_at", "pk")


LEAD_EDITABLE = (
    "name",
    "phone",
    "email",
    "city",
    "region",
    "address",
    "language",
    "product_interest",
    "message",
    "is_archived",
)


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = LEAD_EDITABLE

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


@admin.register(Lead)
class LeadAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows()

    form = LeadAdminForm
    change_list_template = "admin/leadflow/lead/change_list.html"
    list_display = (
        "id",
        "name",
        "phone",
        "source",
        "status",
        "sla_state",
        "product_interest",
        "qualifier",
        "sales_rep",
        "received_at",
    )
    list_display_links = ("id", "name")
    list_filter = (
        "status",
        "sla_state",
        "source",
        "product_interest",
        "handoff_state",
        "qualification_team",
        "is_archived",
    )
    search_fields = ("=id", "name", "phone", "email", "external_id", "city")
    date_hierarchy = "received_at"
    list_select_related = ("source", "qualifier", "sales_rep")
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a million leads on every page
    autocomplete_fields = ("qualifier", "sales_rep", "handed_off_by", "first_called_by", "qualified_by")
    raw_id_fields = ("merged_into",)
    inlines = [InquiryInline, LeadHistoryInline]

    class Media:
        css = {"all": ["leadflow/admin_lead.css"]}

    fieldsets = (
        (_("Contact"), {"fields": ("name", "phone", "email", "city", "region", "address", "language")}),
        (
            _("Origin"),
            {
                "fields": (
                    "source",
                    "external_id",
                    "received_at",
                    "product_interest",
                    "message",
                    ("utm_source", "utm_medium", "utm_campaign"),
                )
            },
        ),
        (
            _("Pipeline"),
            {
                "fields": (
                    "status",
                    "qualification_team",
                    "qualifier",
                    "first_called_by",
                    "qualified_by",
                    "handed_off_by",
                    "sales_rep",
                    "handoff_state",
                    "criteria_passed",
                    "disqualify_reason",
                )
            },
        ),
        (
            _("Milestones"),
            {
                "classes": ("collapse",),
                "fields": (
                    "claimed_at",
                    "last_activity_at",
                    "first_call_at",
                    "callback_at",
                    "qualified_at",
                    "disqualified_at",
                    "handed_off_at",
                    "accepted_at",
                    "acceptance_due_at",
                    "measured_at",
                    "closed_at",
                ),
            },
        ),
        (
            _("Speed-to-lead SLA"),
            {"fields": ("sla_state", "sla_warn_at", "sla_breach_at", "sla_warned_at", "sla_breached_at")},
        ),
        (
            _("Outcome"),
            {"fields": ("quote_amount", "deal_amount", "deal_date", "lose_reason", "competitor", "outcome_note")},
        ),
        (_("Archive"), {"fields": ("is_archived", "merged_into")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # status and everything the pipeline owns change only through services (transitions, SLA, hand-off)
        editable = set(LEAD_EDITABLE)
        return [f.name for f in Lead._meta.fields if f.name not in editable and f.editable]

    def has_add_permission(self, request):
        return False  # leads come in through intake (form, API, import): SLA clock and inquiry record included

    def has_delete_permission(self, request, obj=None):
        return False  # leads are never deleted: archive or merge

    def has_import_permission(self, request):
        return request.user.has_perm("leadflow.add_lead")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="leadflow_lead_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV/XLSX file → every row validated and imported → a report of every row."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import leads"),
        }
        if request.method == "POST":
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    report = import_leads(upload, filename=upload.name, default_source=form.cleaned_data["source"])
                except ImportFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    context.update(report=report, summary=report.summary, title=_("Import report"))
                    return TemplateResponse(request, "leadflow/intake_import_report.html", context)
        else:
            form = ImportUploadForm(initial={"source": "import"})
        context["form"] = form
        context["changelist_url"] = reverse("admin:leadflow_lead_changelist")
        return TemplateResponse(request, "leadflow/intake_import.html", context)


@admin.register(Inquiry)
class InquiryAdmin(ScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    list_display = ("id", "lead", "source", "channel", "external_id", "is_repeat", "received_at")
    list_filter = ("source", "channel", "is_repeat")
    search_fields = ("=lead__id", "external_id", "lead__phone", "lead__name")
    list_select_related = ("lead", "source")
    raw_id_fields = ("lead",)
    date_hierarchy = "received_at"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = staticmethod(lambda user: access.own_rows_scope(user, field="recipient"))

    list_display = ("created_at", "recipient", "kind", "text", "lead", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("text", "recipient__username", "dedupe_key")
    list_select_related = ("recipient", "lead")
    raw_id_fields = ("lead",)
    autocomplete_fields = ("recipient",)
    readonly_fields = ("recipient", "kind", "lead", "text", "url", "created_at", "dedupe_key")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # notifications are sent by the services (idempotent by dedupe_key)


@admin.register(EngineHeartbeat)
class EngineHeartbeatAdmin(ScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    row_scope = everyone_rows()

    """When the SLA sweep last ran (written by the sweep task; /healthz and the SLA panel read it)."""

    list_display = ("name", "beat_at", "watched_since")


# --- history (django-fsm-log) -------------------------------------------------------------------

if admin.site.is_registered(StateLog):
    admin.site.unregister(StateLog)


@admin.register(StateLog)
class StateLogAdmin(ScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    row_scope = staticmethod(access.lead_history_scope)

    """Append-only: rows are written by transitions and `history_record`, never edited or deleted."""

    list_display = ("timestamp", "content_type", "object_id", "transition", "source_state", "state", "by")
    list_filter = ("transition", "state", "content_type")
    search_fields = ("=object_id", "description", "by__username")
    list_select_related = ("content_type", "by")
    date_hierarchy = "timestamp"
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and request.user.has_perm("leadflow.view_lead")
