from django.contrib import admin
from django.db.models import Q

from leadflow import access
from leadflow.admin_scope import DirectorOnlyAdmin, ScopedAdmin

from .models import BonusPlan, CriteriaRule, ExportLog, MarketingSpend, PayPeriodClose, PilotTarget, ProductMargin


@admin.register(BonusPlan)
class BonusPlanAdmin(ScopedAdmin, admin.ModelAdmin):
    # a plan of no team applies to every team of its role: everyone with the permission sees it
    row_scope = staticmethod(lambda user: access.teams_scope(user, field="team") | Q(team__isnull=True))

    list_display = (
        "name",
        "role",
        "team",
        "user",
        "fixed_monthly",
        "bonus_per_won_deal",
        "revenue_share_percent",
        "valid_from",
        "valid_to",
    )
    list_filter = ("role", "team")
    search_fields = ("name", "user__username", "user__last_name")
    autocomplete_fields = ("user",)
    date_hierarchy = "valid_from"


# --- the export log (issue 12 §3): read-only, the director and superusers only ----------------------


@admin.register(ExportLog)
class ExportLogAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("at", "actor", "what", "fmt", "rows", "contains_contacts", "ip", "filters")
    list_filter = ("contains_contacts", "fmt")
    search_fields = ("what", "filters", "ip", "actor__username", "actor__last_name")
    list_select_related = ("actor",)
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- paid months (issue 13 §1): the director marks a month paid; later corrections become adjustments --


@admin.register(PayPeriodClose)
class PayPeriodCloseAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("month", "closed_at", "closed_by")
    list_select_related = ("closed_by",)
    fields = ("month",)

    def save_model(self, request, obj, form, change):
        obj.closed_by = request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return False


# --- pilot targets (issue 13 §3): the weekly digest's third column, set by the director -----------------


@admin.register(PilotTarget)
class PilotTargetAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("figure", "value", "valid_from", "valid_to")
    list_filter = ("figure",)
    date_hierarchy = "valid_from"


# --- promoted criteria rules (issue 17 §2): the trail of checklist versions made from the criteria report --


@admin.register(CriteriaRule)
class CriteriaRuleAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("created_at", "text", "team", "checklist", "created_by")
    list_select_related = ("team", "checklist", "created_by")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- source economics (issue 18 §1): marketing spend and margin rates, the director's --------------------


@admin.register(MarketingSpend)
class MarketingSpendAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("day", "granularity", "source", "utm_campaign", "amount", "vat_included", "vat_rate", "amount_net")
    list_filter = ("granularity", "source", "vat_included")
    search_fields = ("utm_campaign", "note")
    list_select_related = ("source",)
    date_hierarchy = "day"
    fields = ("source", "utm_campaign", "granularity", "day", "amount", "vat_included", "vat_rate", "note")
    readonly_fields = ("amount_net",)

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ProductMargin)
class ProductMarginAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("product_interest", "margin_percent")
