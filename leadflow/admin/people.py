"""Teams, shifts, working hours and people."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .. import access
from ..admin_scope import ScopedAdmin, team_rows
from ..models import Profile, Shift, Team, WorkingHours

User = get_user_model()

User = get_user_model()


# --- teams and people ---------------------------------------------------------------------------


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    max_num = 7


@admin.register(Team)
class TeamAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = team_rows()

    list_display = (
        "name",
        "kind",
        "time_zone",
        "lead",
        "sla_warn_minutes",
        "sla_breach_minutes",
        "sales_team",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ("lead", "sales_team")
    list_select_related = ("lead", "sales_team")
    inlines = [WorkingHoursInline]
    fieldsets = (
        (None, {"fields": ("name", "kind", "time_zone", "lead", "is_active")}),
        (
            _("Speed-to-lead SLA"),
            {
                "fields": (
                    "sla_warn_minutes",
                    "sla_breach_minutes",
                    "reassign_on_breach",
                    "skip_public_holidays",
                    "claim_lease_minutes",
                    "max_failed_attempts",
                )
            },
        ),
        (_("Hand-off"), {"fields": ("sales_team", "assignment_strategy", "acceptance_window_minutes")}),
    )


@admin.register(Shift)
class ShiftAdmin(ScopedAdmin, admin.ModelAdmin):
    """The roster (also kept on the planner's roster page, reports:staffing-roster)."""

    row_scope = team_rows("team")
    list_display = ("team", "weekday", "starts_at", "ends_at", "user")
    list_filter = ("team", "weekday")
    list_select_related = ("team", "user")
    autocomplete_fields = ("user",)


@admin.register(WorkingHours)
class WorkingHoursAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = team_rows("team")

    list_display = ("team", "weekday", "opens_at", "closes_at")
    list_filter = ("team", "weekday")
    list_select_related = ("team",)


@admin.register(Profile)
class ProfileAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = staticmethod(lambda user: access.people_scope(user, prefix="user__"))

    list_display = ("user", "team", "is_available", "phone_extension", "last_assigned_at")
    list_filter = ("team", "is_available")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("user", "team")
    list_select_related = ("user", "team")
    readonly_fields = ("last_assigned_at",)


class ProfileInline(admin.StackedInline):
    model = Profile
    fk_name = "user"
    can_delete = False
    autocomplete_fields = ("team",)
    readonly_fields = ("last_assigned_at",)
    verbose_name_plural = _("profile")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    row_scope = staticmethod(access.people_scope)

    inlines = [ProfileInline]
    list_display = ("username", "first_name", "last_name", "email", "team", "roles", "is_active", "is_staff")
    list_filter = ("groups", "profile__team", "is_active", "is_staff", "is_superuser")
    list_select_related = ("profile__team",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_inline_instances(self, request, obj=None):
        # the profile is edited once the user exists (the add form asks only for a name and password)
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description=_("team"), ordering="profile__team__name")
    def team(self, user):
        profile = getattr(user, "profile", None)
        return profile.team if profile else None

    @admin.display(description=_("roles"))
    def roles(self, user):
        return ", ".join(group.name for group in user.groups.all())
