from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import PHONE_INPUT_MAX_LENGTH
from ..phones import normalize_phone


class PhoneLookupForm(forms.Form):
    """The person's phone, normalised as intake stores it (leadflow.phones)."""

    phone = forms.CharField(
        label=_("The person's phone"),
        max_length=PHONE_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel", "class": "form-control", "placeholder": "+7 912 345-67-89"}),
    )

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


class ErasureForm(PhoneLookupForm):
    """The confirmation step: nothing is erased without the director's explicit tick."""

    confirm = forms.BooleanField(
        label=_("The person asked to erase their data. I understand this cannot be undone."),
        error_messages={"required": _("Tick the confirmation to erase the data.")},
    )
