"""Forms of the pipeline core: the public intake form, the rules every intake row obeys, the import upload.

One set of field rules (`LeadFieldsForm`) serves the web form and the CSV/XLSX import; the JSON API's
serializer applies the same rules (model lengths, product choices, `normalize_phone`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import vertical
from .models import Language, Lead, ProductInterest, Source
from .phones import normalize_phone

PHONE_INPUT_MAX_LENGTH = 40  # raw input before normalisation: "+7 (912) 345-67-89 доб. 12" and the like
MESSAGE_MAX_LENGTH = 5000
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
LANGUAGE_INPUT_MAX_LENGTH = 40  # a code ("en") or the language's name ("Английский")


def model_max_length(name):
    return Lead._meta.get_field(name).max_length


def unknown_language(value):
    return ValidationError(
        _("Unknown language “%(value)s”: use one of the codes %(codes)s."),
        code="invalid_language",
        params={"value": value, "codes": ", ".join(Language.values)},
    )


def language_code(value):
    """The code of the language `value` names: a code or the language's name, any letter case ("EN",
    "английский"); "" when blank. Raises ValidationError for anything else."""
    text = (value or "").strip()
    if not text:
        return ""
    key = text.casefold()
    for code, label in Language.choices:
        if key in (code, str(label).casefold()):
            return code
    raise unknown_language(text)


class LeadFieldsForm(forms.Form):
    """The contact and origin fields every intake channel accepts, with the same rules everywhere."""

    name = forms.CharField(label=_("Name"), max_length=model_max_length("name"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=PHONE_INPUT_MAX_LENGTH)
    email = forms.EmailField(label=_("E-mail"), max_length=model_max_length("email"), required=False)
    city = forms.CharField(label=_("City"), max_length=model_max_length("city"), required=False)
    product_interest = forms.ChoiceField(
        label=_("What kitchen are you looking for?"), choices=ProductInterest.choices, required=False
    )
    language = forms.CharField(label=_("Language"), max_length=LANGUAGE_INPUT_MAX_LENGTH, required=False)
    message = forms.CharField(label=_("Message"), max_length=MESSAGE_MAX_LENGTH, required=False)
    utm_source = forms.CharField(max_length=model_max_length("utm_source"), required=False)
    utm_medium = forms.CharField(max_length=model_max_length("utm_medium"), required=False)
    utm_campaign = forms.CharField(max_length=model_max_length("utm_campaign"), required=False)

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean_product_interest(self):
        return self.cleaned_data["product_interest"] or ProductInterest.UNKNOWN

    def clean_language(self):
        return language_code(self.cleaned_data.get("language"))

    def lead_fields(self):
        """Keyword arguments for `leadflow.services.lead_receive` (source and channel are the caller's)."""
        data = self.cleaned_data
        keys = ("name", "email", "city", "product_interest", "language", "message", *UTM_FIELDS)
        return {"phone": data["phone"], **{key: data.get(key) or "" for key in keys}}


class IntakeForm(LeadFieldsForm):
    """The public form on /intake/ (embeddable). `website` is a honeypot: people never see it."""

    HONEYPOT = "website"

    name = forms.CharField(
        label=_("Name"),
        max_length=model_max_length("name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=PHONE_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+7 912 345-67-89"}),
    )
    product_interest = forms.ChoiceField(
        label=_("What kitchen are you looking for?"),
        choices=[
            (ProductInterest.CUSTOM, _("Custom-made to my measurements")),
            (ProductInterest.MODULAR, _("Ready-made modules")),
            (ProductInterest.UNKNOWN, _("Not sure yet")),
        ],
        initial=ProductInterest.UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Comment"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    utm_source = forms.CharField(max_length=model_max_length("utm_source"), required=False, widget=forms.HiddenInput)
    utm_medium = forms.CharField(max_length=model_max_length("utm_medium"), required=False, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(
        max_length=model_max_length("utm_campaign"), required=False, widget=forms.HiddenInput
    )
    consent = forms.BooleanField(
        label=_("I agree to the processing of my personal data"),
        error_messages={"required": _("We can only call you back with your consent.")},
    )
    language = None  # the public form does not ask it (the API, the import and the qualifier's call do)
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    field_order = ["name", "phone", "email", "city", "product_interest", "message", "consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not vertical.current().asks_product_interest:  # "what kitchen?" is the kitchen preset's question
            self.fields["product_interest"] = forms.CharField(required=False, widget=forms.HiddenInput)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.TextInput | forms.EmailInput | forms.Textarea) and name != self.HONEYPOT:
                field.widget.attrs["class"] = "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields and "form-control" in self.fields[name].widget.attrs.get("class", ""):
                self.fields[name].widget.attrs["class"] = "form-control is-invalid"

    def is_spam(self):
        """A bot filled the field people never see."""
        return bool((self.data.get(self.HONEYPOT) or "").strip())


class ImportRowForm(LeadFieldsForm):
    """One row of a CSV/XLSX import: the intake fields plus the delivery id and an optional source code."""

    external_id = forms.CharField(max_length=model_max_length("external_id"), required=False)
    source = forms.CharField(max_length=Source._meta.get_field("code").max_length, required=False)

    def __init__(self, *args, default_source=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_source = default_source

    def clean_source(self):
        code = (self.cleaned_data["source"] or "").strip()
        if not code:
            if self.default_source is None:
                raise ValidationError(_("No source: fill the column or choose a default source."), code="required")
            return self.default_source
        source = Source.objects.filter(code__iexact=code, is_active=True).first()
        if source is None:
            raise ValidationError(
                _("Unknown or inactive source “%(code)s”."), code="invalid_source", params={"code": code}
            )
        return source


IMPORT_MAX_BYTES = 10 * 1024 * 1024


class ImportUploadForm(forms.Form):
    """The admin's "Import leads" page: a CSV or XLSX file and the source for rows that name none."""

    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows-1251, comma or semicolon) or XLSX. The first row names the columns: "
            "phone (required), name, email, city, product_interest, language, message, external_id, source, "
            "utm_source, utm_medium, utm_campaign."
        ),
    )
    source = forms.ModelChoiceField(
        label=_("Default source"),
        queryset=Source.objects.filter(is_active=True),
        to_field_name="code",
        help_text=_("Used for rows without a source column value."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB: split it into parts."), code="too_large")
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx", ".txt")):
            raise ValidationError(_("Upload a .csv or .xlsx file."), code="bad_extension")
        return upload
