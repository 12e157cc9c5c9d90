from django.contrib import admin

from leadflow.admin_scope import ScopedAdmin, everyone_rows, lead_rows

from .models import DealCorrection, Dispute, Measurement, ObjectionTag, Visit


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
