from django.contrib import admin

from .models import BonusPlan


@admin.register(BonusPlan)
class BonusPlanAdmin(admin.ModelAdmin):
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
