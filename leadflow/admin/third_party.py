"""Other apps' admins re-registered for the director only."""

from django.contrib import admin
from django.contrib.auth import get_user_model

from ..admin_scope import DirectorOnlyAdmin

User = get_user_model()

User = get_user_model()


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
