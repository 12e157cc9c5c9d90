from django.contrib import admin
from django.db.models import Q

from leadflow import access
from leadflow.admin_scope import ScopedAdmin

from .models import BonusPlan


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
