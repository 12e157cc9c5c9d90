from django.contrib import admin
from django.db.models import Q

from leadflow import access
from leadflow.admin_scope import ScopedAdmin, everyone_rows, lead_rows

from .models import DealCorrection, Dispute, Measurement, MeasurementField, MeasurementKit, ObjectionTag, Visit


@admin.register(ObjectionTag)
class ObjectionTagAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = everyone_rows()

    list_display = ["title", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    prepopulated_fields = {"code": ["title"]}


@admin.register(Dispute)
class DisputeAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    """Read-only: disputes are raised and decided on the board so the history stays complete."""

    list_display = ["lead", "reason", "sales_rep", "qualifier", "decision", "counts_against", "decided_by", "raised_at"]
    list_filter = ["decision", "counts_against", "reason"]
    list_select_related = ["lead", "reason", "sales_rep", "qualifier", "decided_by"]
    search_fields = ["lead__name", "lead__phone", "comment", "decision_note"]
    date_hierarchy = "raised_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    list_display = ["lead", "rep", "starts_at", "ends_at", "status", "address"]
    list_filter = ["status", "rep"]
    list_select_related = ["lead", "rep"]
    search_fields = ["lead__name", "lead__phone", "address"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["lead", "rescheduled_from"]
    readonly_fields = ["rep_reminded_at", "client_details_sent_at", "created_at"]


@admin.register(Measurement)
class MeasurementAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = lead_rows("lead__")

    list_display = ["lead", "quote_amount", "next_step", "recorded_by", "recorded_at"]
    list_select_related = ["lead", "recorded_by"]
    search_fields = ["lead__name", "lead__phone", "next_step"]
    raw_id_fields = ["lead", "visit"]
    filter_horizontal = ["objections"]


@admin.register(DealCorrection)
class DealCorrectionAdmin(ScopedAdmin, admin.ModelAdmin):
    """Read-only: a correction is made on the deal page (sales.services.deal_correct / deal_reopen)."""

    row_scope = lead_rows("lead__")

    list_display = ["lead", "field", "old_value", "new_value", "reason", "actor", "at"]
    list_filter = ["field"]
    list_select_related = ["lead", "actor"]
    search_fields = ["lead__name", "lead__phone", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MeasurementFieldInline(admin.StackedInline):
    """The fields of a kit version. Once a measurement was taken with it the version is read-only: a
    changed form becomes a new version (the old measurements keep reading with their own fields)."""

    model = MeasurementField
    extra = 0
    fields = (
        ("position", "code", "kind", "required"),
        "label",
        "help_text",
        ("unit", "decimal_places"),
        ("min_value", "max_value"),
        "options",
    )

    def _used(self, obj):
        return obj is not None and Measurement.objects.filter(kit=obj).exists()

    def has_change_permission(self, request, obj=None):
        return not self._used(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._used(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._used(obj) and super().has_delete_permission(request, obj)


@admin.register(MeasurementKit)
class MeasurementKitAdmin(ScopedAdmin, admin.ModelAdmin):
    """The measurement form as data: the kitchen kit ships as v1 (sales.reference); a clinic, a
    developer or another trade define their own here (a team's kit, or the default with no team)."""

    row_scope = staticmethod(lambda user: access.teams_scope(user, field="team") | Q(team__isnull=True))

    list_display = ("title", "team", "version", "is_active", "created_at")
    list_filter = ("team", "is_active")
    inlines = [MeasurementFieldInline]
