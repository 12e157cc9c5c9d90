from django import forms
from django.utils.translation import gettext_lazy as _


class OneTimeCodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "class": "form-control"}),
    )


class SecurityPolicyForm(forms.Form):
    require_2fa_for_managers = forms.BooleanField(
        label=_("Require two-factor sign-in for managers, directors and admins"), required=False
    )
