"""Token auth for machine clients: `Authorization: Token <key>`.

`request.auth` is the IntakeToken; `request.user` stays anonymous (no person is acting). A token opens
only the API of its kind (`HasIntakeToken` / `HasTelephonyToken`): a valid key of the other kind is a 403.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from leadflow.models import IntakeToken


class IntakeTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from None
        token = IntakeToken.objects.select_related("source").filter(key=key, is_active=True).first()
        if token is None or (token.source_id is not None and not token.source.is_active):
            raise exceptions.AuthenticationFailed(_("Invalid or inactive token."))
        # touch at most once a minute: no write per request on a hot path
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            IntakeToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (None, token)

    def authenticate_header(self, request):
        return self.keyword


class _HasTokenOfKind(BasePermission):
    kind = None
    message = None

    def has_permission(self, request, view):
        return isinstance(request.auth, IntakeToken) and request.auth.kind == self.kind


class HasIntakeToken(_HasTokenOfKind):
    kind = IntakeToken.Kind.INTAKE
    message = _("This token is not a lead intake token: use the token of the lead source.")


class HasTelephonyToken(_HasTokenOfKind):
    kind = IntakeToken.Kind.TELEPHONY
    message = _("This token is not a telephony token: calls are reported only with a telephony token.")


class IntakeTokenScheme(OpenApiAuthenticationExtension):
    target_class = "leadflow.api.authentication.IntakeTokenAuthentication"
    name = "IntakeToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication: `Token <key>`",
        }
