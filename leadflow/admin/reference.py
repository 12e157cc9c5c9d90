"""Reference data and settings: sources, API tokens, security events, reasons, the two-factor policy, PBX accounts."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .. import services
from ..admin_scope import DirectorOnlyAdmin, ScopedAdmin, everyone_rows
from ..exceptions import LeadflowError
from ..models import ApiToken, PbxAccount, Reason, SecurityEvent, SecurityPolicy, Source

User = get_user_model()

User = get_user_model()


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
