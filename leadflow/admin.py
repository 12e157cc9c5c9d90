"""Admin of the pipeline core: configuration (teams, sources, reasons, tokens, people) and a read view of leads.

Leads are never deleted and their status is protected: it changes only through the services, so here
it is read-only; the history (django-fsm-log rows) is append-only and shown on the lead's page.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from leadflow.people import display_name

from . import access, services
from .admin_scope import DirectorOnlyAdmin, ScopedAdmin, everyone_rows, lead_rows, team_rows
from .exceptions import LeadflowError
from .forms import ImportUploadForm
from .importing import ImportFileError, import_leads
from .models import (
    ApiToken,
    EngineHeartbeat,
    Inquiry,
    Lead,
    LeadStatus,
    Notification,
    PbxAccount,
    Profile,
    Reason,
    SecurityEvent,
    SecurityPolicy,
    Shift,
    Source,
    Team,
    WorkingHours,
)
from .phones import normalize_phone

User = get_user_model()


class ReadOnlyAdminMixin:
    """View-only in the admin: these rows are records of what happened."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


# --- reference data -----------------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = everyone_rows()

    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")


@admin.register(ApiToken)
class ApiTokenAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    """The key exists in clear only in the message after it is issued or rotated; the database keeps
    its SHA-256 and the first characters, which is all these pages ever show."""

    list_display = (
        "__str__",
        "kind",
        "source",
        "short_key",
        "is_active",
        "expires_at",
        "created_by",
        "last_used_at",
        "last_used_ip",
    )
    list_filter = ("kind", "source", "is_active")
    search_fields = ("name", "prefix", "source__name", "source__code")
    list_select_related = ("source", "created_by")
    readonly_fields = (
        "short_key",
        "is_active",
        "created_at",
        "created_by",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
        "revoked_by",
        "rotated_from",
    )
    actions = ["revoke", "rotate"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "source", "name", "expires_at", "rate_limit")
        return ("kind", "source", "name", "short_key", "expires_at", "rate_limit", *self.readonly_fields[1:])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("kind", "source") if obj is not None else ())

    @admin.display(description=_("key"))
    def short_key(self, token):
        return f"{token.prefix}…"

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token_id in queryset.values_list("pk", flat=True):
            services.api_token_revoke(token_id=token_id, actor=request.user)
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Rotate the selected tokens (new key; the old one works for an overlap)"))
    def rotate(self, request, queryset):
        for token_id in queryset.values_list("pk", flat=True):
            try:
                new = services.api_token_rotate(token_id=token_id, actor=request.user)
            except LeadflowError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            old = ApiToken.objects.get(pk=token_id)
            self.message_user(
                request,
                _(
                    "New key for %(token)s, shown only now: Authorization: Token %(key)s — "
                    "the old key works until %(until)s."
                )
                % {
                    "token": new,
                    "key": new.key,
                    "until": date_format(timezone.localtime(old.expires_at), "DATETIME_FORMAT"),
                },
                messages.WARNING,
            )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the key may still be configured somewhere, and the log refers to it

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token = services.api_token_issue(
            kind=obj.kind,
            source=obj.source,
            name=obj.name,
            created_by=request.user,
            expires_at=obj.expires_at,
            rate_limit=obj.rate_limit,
        )
        obj.pk, obj.key = token.pk, token.key
        self.message_user(
            request,
            _("Token created. Give the client this header (it is shown only now): Authorization: Token %(key)s")
            % {"key": token.key},
            messages.WARNING,
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    list_display = ("at", "kind", "actor", "token", "ip", "detail")
    list_filter = ("kind",)
    search_fields = ("detail", "ip", "token__name", "token__prefix", "actor__username")
    list_select_related = ("actor", "token", "token__source")
    date_hierarchy = "at"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reason)
class ReasonAdmin(ScopedAdmin, admin.ModelAdmin):
    row_scope = everyone_rows()

    list_display = ("title", "kind", "code", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "code")


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


admin.site.site_header = _("Leadflow administration")
admin.site.site_title = "Leadflow"
admin.site.index_title = _("Configuration and data")


# --- two-factor sign-in --------------------------------------------------------------------------


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    """The director's switch, also on the two-factor page; saved through the service (its checks and log)."""

    fields = ("require_2fa_for_managers", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        policy = SecurityPolicy.current()
        if policy._state.adding:
            return HttpResponseRedirect(reverse("two_factor:setup"))
        return HttpResponseRedirect(reverse("admin:leadflow_securitypolicy_change", args=[policy.pk]))

    def save_model(self, request, obj, form, change):
        from leadflow.two_factor.services import security_policy_update

        try:
            security_policy_update(actor=request.user, require_2fa_for_managers=obj.require_2fa_for_managers)
        except LeadflowError as error:
            raise PermissionDenied(str(error.message)) from error


# --- other apps' admins: the director only -------------------------------------------------------
# Login attempts (usernames, addresses), second-factor devices and the role groups are registered by
# their own apps (autodiscovered before this module); re-registered here so they are scoped too.


def _director_only(model):
    if not admin.site.is_registered(model):
        return
    original = type(admin.site._registry[model])
    admin.site.unregister(model)
    admin.site.register(model, type(original.__name__, (DirectorOnlyAdmin, original), {}))


def _director_only_third_party():
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (AccessAttempt, AccessFailureLog, AccessLog, Group, StaticDevice, TOTPDevice):
        _director_only(model)


_director_only_third_party()


class PbxAccountForm(forms.ModelForm):
    """The key and the secret are typed in and never shown back: blank keeps what is stored."""

    base_url = forms.URLField(label=_("API address"), required=False, assume_scheme="https")
    api_key = forms.CharField(label=_("API key"), required=False, widget=forms.PasswordInput(render_value=False))
    api_secret = forms.CharField(label=_("API secret"), required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = PbxAccount
        fields = ("provider", "name", "base_url", "api_key", "api_secret", "timezone", "is_active")

    def clean(self):
        data = super().clean()
        for name in ("api_key", "api_secret"):
            if not data.get(name):
                if not getattr(self.instance, name, ""):
                    self.add_error(name, _("Required for a new account."))
                data[name] = getattr(self.instance, name, "")
        return data


@admin.register(PbxAccount)
class PbxAccountAdmin(DirectorOnlyAdmin, admin.ModelAdmin):
    """Credentials of a PBX: the director's (and superusers') only; the key and secret show masked."""

    form = PbxAccountForm
    list_display = ("name", "provider", "key_masked", "secret_masked", "is_active", "webhook_address")
    list_filter = ("provider", "is_active")
    readonly_fields = ("key_masked", "secret_masked", "webhook_address", "created_at", "created_by")

    @admin.display(description=_("API key"))
    def key_masked(self, obj):
        return PbxAccount.masked(obj.api_key) if obj and obj.api_key else "—"

    @admin.display(description=_("API secret"))
    def secret_masked(self, obj):
        return PbxAccount.masked(obj.api_secret) if obj and obj.api_secret else "—"

    @admin.display(description=_("Address for the PBX's notifications"))
    def webhook_address(self, obj):
        if not obj or not obj.pk:
            return "—"
        if obj.provider == PbxAccount.Provider.MANGO:
            return f"{settings.SITE_URL}/api/v1/pbx/mango/{obj.pk}"
        return f"{settings.SITE_URL}/api/v1/pbx/zadarma/{obj.pk}/"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
