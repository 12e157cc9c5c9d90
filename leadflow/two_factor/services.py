"""Writes of two-factor sign-in. A code is checked against one device under its row lock; a wrong one
raises OneTimeCodeRefused only after the transaction committed, so django-otp's back-off counter sticks."""

import math

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from leadflow import roles
from leadflow.exceptions import OneTimeCodeRefused, PermissionRefused, TwoFactorRefused
from leadflow.models import SecurityEvent, SecurityPolicy
from leadflow.services import security_event_record

from .selectors import two_factor_required_for

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"


def two_factor_start(*, user):
    """A new, unconfirmed authenticator key for the user to scan; confirmed by the first good code."""
    _ensure_eligible(user)
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise TwoFactorRefused(_("Two-factor sign-in is already on."))
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def two_factor_confirm(*, user, token):
    """The first code from the app turns two-factor sign-in on. Returns (device, backup codes in clear):
    the codes are shown once; the database keeps them only until each is used."""
    _ensure_eligible(user)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise TwoFactorRefused(_("Start again: the key to confirm was not found."))
        refusal = _check_locked(device, token)
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _backup_codes_replace(user)
            security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_ENABLED, actor=user)
    if refusal is not None:
        raise refusal
    return device, codes


def two_factor_verify(*, user, token):
    """The device that accepts the code (the authenticator for a 6-digit code, else a backup code,
    which is then used up), for django_otp.login(); OneTimeCodeRefused otherwise."""
    token = normalize_token(token)
    # 6 digits: the app's code; backup codes are 8 characters (django-otp's StaticToken.random_token)
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        refusal = OneTimeCodeRefused() if device is None else _check_locked(device, token)
    if refusal is not None:
        raise refusal
    return device


def two_factor_disable(*, user, token):
    """A current code (or a backup code) turns two-factor sign-in off: every device of the user goes."""
    if two_factor_required_for(user):
        raise TwoFactorRefused(_("The director requires two-factor sign-in for your role: it cannot be turned off."))
    two_factor_verify(user=user, token=token)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_DISABLED, actor=user)


def security_policy_update(*, actor, require_2fa_for_managers):
    """The director's switch. Turning it on needs the director's own second factor first, so the
    director is never the one locked out by it."""
    if not roles.can_set_security_policy(actor):
        raise PermissionRefused()
    if require_2fa_for_managers and not TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
        raise TwoFactorRefused(_("Turn on two-factor sign-in for yourself first."))
    with transaction.atomic():
        policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(pk=SecurityPolicy.SINGLETON_PK)
        if policy.require_2fa_for_managers != require_2fa_for_managers:
            policy.require_2fa_for_managers = require_2fa_for_managers
            policy.updated_by = actor
            policy.save()
            security_event_record(
                kind=SecurityEvent.Kind.TWO_FACTOR_POLICY_CHANGED,
                actor=actor,
                detail="required" if require_2fa_for_managers else "optional",
            )
    return policy


def normalize_token(token):
    """People type codes with spaces ("123 456") and backup codes in any case."""
    return "".join(str(token or "").split()).lower()


def _check_locked(device, token):
    """Verify on a locked device; the refusal to raise after commit, or None when the code was good."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = (info.get("locked_until") or timezone.now()) - timezone.now()
        return OneTimeCodeRefused(
            _("Too many wrong codes. Try again in a few seconds."), retry_after=max(1, math.ceil(wait.total_seconds()))
        )
    if device.verify_token(normalize_token(token)):
        return None
    return OneTimeCodeRefused()


def _backup_codes_replace(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _ensure_eligible(user):
    if not roles.can_use_two_factor(user):
        raise PermissionRefused()
