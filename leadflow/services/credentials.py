"""API credentials: issue (the key shown once), revoke, rotate with an overlap; the security log."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import TransitionRefused
from ..models import (
    ApiToken,
    SecurityEvent,
)


def api_token_issue(
    *, kind=ApiToken.Kind.INTAKE, source=None, name="", created_by=None, expires_at=None, rate_limit=""
):
    """A new API token; `token.key` holds the key in clear, to be shown once and never stored."""
    with transaction.atomic():
        token = ApiToken(
            kind=kind, source=source, name=name, created_by=created_by, expires_at=expires_at, rate_limit=rate_limit
        )
        token.set_new_key()
        token.full_clean(exclude=["key_hash", "prefix"])
        token.save()
        security_event_record(kind=SecurityEvent.Kind.TOKEN_ISSUED, actor=created_by, token=token)
    return token


def api_token_revoke(*, token_id, actor, at=None):
    """Revoke a token for good (a request with it is then a 401, logged); revoking twice changes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id)
        if token.is_active:
            token.is_active, token.revoked_at, token.revoked_by = False, at, actor
            token.save(update_fields=["is_active", "revoked_at", "revoked_by"])
            security_event_record(kind=SecurityEvent.Kind.TOKEN_REVOKED, actor=actor, token=token, at=at)
    return token


def api_token_rotate(*, token_id, actor, overlap=None, at=None):
    """A new key for the same integration: the new token works at once, the old one until the overlap
    ends (so the client can switch without a gap). Returns the new token with its key in clear."""
    at = at or timezone.now()
    overlap = overlap if overlap is not None else timedelta(hours=settings.API_TOKEN_ROTATION_OVERLAP_HOURS)
    with transaction.atomic():
        old = ApiToken.objects.select_for_update().get(pk=token_id)
        if not old.is_active or old.is_expired(at):
            raise TransitionRefused(_("A revoked or expired token cannot be rotated: issue a new one."))
        new = ApiToken(
            kind=old.kind,
            source=old.source,
            name=old.name,
            rate_limit=old.rate_limit,
            created_by=actor,
            rotated_from=old,
        )
        key = new.set_new_key()
        new.save()
        new.key = key
        old_ends = at + overlap
        if old.expires_at is None or old.expires_at > old_ends:
            old.expires_at = old_ends
            old.save(update_fields=["expires_at"])
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN_ROTATED,
            actor=actor,
            token=old,
            at=at,
            detail=_("Replaced by %(prefix)s…; the old key works until %(until)s.")
            % {"prefix": new.prefix, "until": timezone.localtime(old.expires_at).strftime("%d.%m.%Y %H:%M")},
        )
    return new


def security_event_record(*, kind, actor=None, token=None, ip=None, detail="", at=None):
    return SecurityEvent.objects.create(
        kind=kind, actor=actor, token=token, ip=ip or None, detail=str(detail)[:300], at=at or timezone.now()
    )
