"""Token auth for machine clients: `Authorization: Token <key>`.

`request.auth` is the ApiToken; `request.user` stays anonymous (no person is acting). The key is looked
up by its SHA-256 (keys are stored only hashed). A revoked or expired key is a 401 and a line in the
security log; a token opens only the API of its kind (`HasIntakeToken` / `HasTelephonyToken`): a valid
key of the other kind is a 403. `ApiTokenRateThrottle` limits each token (JSON 429 with Retry-After).
"""

import logging
import math
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from leadflow import hotcache, ratelimit
from leadflow.models import ApiToken, SecurityEvent, api_key_hash
from leadflow.services import security_event_record

log = logging.getLogger("leadflow.security")
# at most this many security-log rows per token (or unknown key prefix) and address a minute: a client
# retrying a dead key in a loop must not fill the table
SECURITY_LOG_RATE = "5/m"
TOUCH_EVERY_SECONDS = 60


def request_ip(request):
    return ratelimit.client_ip(request, settings.INTAKE_CLIENT_IP_HEADER)


class ApiTokenAuthentication(BaseAuthentication):
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
        token = token_of_key(key)
        ip = request_ip(request)
        now = timezone.now()
        if token is None:
            self._refused(SecurityEvent.Kind.UNKNOWN_TOKEN_USED, None, ip, detail=key[:10])
            raise exceptions.AuthenticationFailed(_("Invalid or inactive token."))
        if not token.is_active:
            self._refused(SecurityEvent.Kind.REVOKED_TOKEN_USED, token, ip)
            raise exceptions.AuthenticationFailed(_("This token was revoked."))
        if token.is_expired(now):
            self._refused(SecurityEvent.Kind.EXPIRED_TOKEN_USED, token, ip)
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if token.source_id is not None and not token.source.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or inactive token."))
        token_touch(token, ip, now)
        return (None, token)

    def authenticate_header(self, request):
        return self.keyword

    @staticmethod
    def _refused(kind, token, ip, detail=""):
        log.warning("%s: token %s from %s", kind, token.pk if token else detail, ip)
        if ratelimit.hit("security-log", f"{kind}:{token.pk if token else detail}:{ip}", SECURITY_LOG_RATE):
            security_event_record(kind=kind, token=token, ip=_ip_or_none(ip), detail=detail)


def token_of_key(key):
    """The ApiToken of this key (looked up by its hash, kept a few seconds: leadflow.hotcache), or None."""
    key_hash = api_key_hash(key)
    return hotcache.get_or_load(
        ("api-token", key_hash),
        lambda: ApiToken.objects.select_related("source").filter(key_hash=key_hash).first(),
    )


def token_usable(token, now):
    """What `ApiTokenAuthentication` accepts: a known, active, unexpired token of an active source."""
    return (
        token is not None
        and token.is_active
        and not token.is_expired(now)
        and (token.source_id is None or token.source.is_active)
    )


def token_touch(token, ip, now):
    """Record the token's use: at most once a minute (or from a new address), no write per request on a
    hot path. The address is validated only when it is not the one recorded (the same sender, request
    after request)."""
    stale = token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_EVERY_SECONDS
    if stale or token.last_used_ip != ip:
        address = _ip_or_none(ip)
        if stale or token.last_used_ip != address:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)
            token.last_used_at, token.last_used_ip = now, address  # the cached copy: no write next time


def _ip_or_none(ip):
    """The address as the IP column takes it; a proxy header can carry anything."""
    try:
        validate_ipv46_address(ip)
    except ValidationError:
        return None
    return ip


class _HasTokenOfKind(BasePermission):
    kind = None
    message = None

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken) and request.auth.kind == self.kind


class HasIntakeToken(_HasTokenOfKind):
    kind = ApiToken.Kind.INTAKE
    message = _("This token is not a lead intake token: use the token of the lead source.")


class HasTelephonyToken(_HasTokenOfKind):
    kind = ApiToken.Kind.TELEPHONY
    message = _("This token is not a telephony token: calls are reported only with a telephony token.")


RATE_DECISION = "leadflow_rate_decision"  # on the HttpRequest: (allowed, seconds to wait) once counted


def token_rate_hit(token):
    """Count one request of `token` against its rate: (allowed, seconds until the window ends if not)."""
    rate = token.rate_limit or settings.API_TOKEN_RATE
    now = time.time()
    if ratelimit.hit("api-token", token.pk, rate, now=now):
        return True, None
    _limit, period = ratelimit.parse_rate(rate)
    return False, max(1, math.ceil(period - now % period))


class ApiTokenRateThrottle(BaseThrottle):
    """Per token: its own `rate_limit`, else API_TOKEN_RATE, counted in fixed windows on the cache
    (leadflow.ratelimit, as the form's per-address limit; the rate is validated by the same parser).
    DRF answers 429 with Retry-After: the seconds left in the window. One counter per token and window,
    not DRF's list of every request's time, which is read and written whole on each request (up to
    600 entries at the default rate)."""

    def allow_request(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        # counted already for this request (leadflow.api.intake_fast, which then handed it over to DRF)
        decided = getattr(request._request, RATE_DECISION, None)
        allowed, self._wait = decided if decided is not None else token_rate_hit(token)
        return allowed

    def wait(self):
        return self._wait


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "leadflow.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication: `Token <key>`",
        }
