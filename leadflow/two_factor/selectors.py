"""Reads of two-factor sign-in: what the gate needs (one query) and what the settings page shows."""

from base64 import b32encode

import segno
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from leadflow import roles
from leadflow.models import SecurityPolicy

GATE_VERIFY = "verify"  # the user has a second factor and this session has not passed it yet
GATE_SETUP = "setup"  # the director requires a second factor and the user has none


def two_factor_gate(user):
    """For a signed-in session that has not passed the code step: GATE_VERIFY, GATE_SETUP or None.
    Qualifiers and reps are never gated (and cost no query); the others cost one query."""
    if not roles.can_use_two_factor(user):
        return None
    has_device, required = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            required=Exists(SecurityPolicy.objects.filter(require_2fa_for_managers=True)),
        )
        .values_list("has_device", "required")
        .get()
    )
    if has_device:
        return GATE_VERIFY
    if required:
        return GATE_SETUP
    return None


def two_factor_required_for(user):
    return roles.can_use_two_factor(user) and SecurityPolicy.current().require_2fa_for_managers


def two_factor_status(user):
    """What the settings page shows: on/off, the key being set up (QR + text) and backup codes left."""
    devices = {device.confirmed: device for device in TOTPDevice.objects.filter(user=user)}
    confirmed, pending = devices.get(True), devices.get(False)
    status = {
        "enabled": confirmed is not None,
        "required": two_factor_required_for(user),
        "backup_codes_left": StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
        "pending": None,
    }
    if confirmed is None and pending is not None:
        status["pending"] = {
            "qr_data_uri": segno.make(pending.config_url, error="m").svg_data_uri(scale=5, border=2),
            "secret": " ".join(_chunks(b32encode(pending.bin_key).decode(), 4)),
        }
    return status


def _chunks(text, size):
    return [text[i : i + size] for i in range(0, len(text), size)]
