"""Input of the deal board's actions. Validation only; the services decide what is allowed."""

import uuid
from datetime import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from leadflow.models import Reason
from leadflow.people import display_name

from .models import MeasurementField, ObjectionTag
from .photos import PhotoRefused, clean_photo
from .scheduling import LATE_CHOICES

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _reasons(kind):
    return Reason.objects.filter(kind=kind, is_active=True).order_by("position", "title")


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for bound in self.visible_fields():
            widget = bound.field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class DisputeForm(BootstrapMixin, forms.Form):
    reason = forms.ModelChoiceField(label=_("Why is it not a target lead?"), queryset=Reason.objects.none())
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = _reasons(Reason.Kind.DISPUTE)


class VisitScheduleForm(BootstrapMixin, forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Date and time"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    address = forms.CharField(label=_("Address"), max_length=300)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class VisitRescheduleForm(BootstrapMixin, forms.Form):
    starts_at = forms.DateTimeField(
        label=_("New date and time"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class NoShowForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MultipleImageInput(forms.FileInput):
    """Several pictures at once, from the phone's camera (`capture`) or its gallery."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__(attrs={"accept": "image/*", "capture": "environment", **(attrs or {})})


class PhotosField(forms.FileField):
    """Zero or more uploads; each is decoded, scaled and stripped of metadata (sales.photos)."""

    widget = MultipleImageInput

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload]
        if len(uploads) > settings.PHOTO_MAX_COUNT:
            raise forms.ValidationError(
                _("Attach at most %(count)s photos to one measurement.") % {"count": settings.PHOTO_MAX_COUNT}
            )
        clean, errors = [], []
        for upload in uploads:
            try:
                clean.append(clean_photo(upload))
            except PhotoRefused as refusal:
                errors.append(forms.ValidationError(str(refusal)))
        if errors:
            errors.append(forms.ValidationError(_("Choose the photos again: a browser does not keep them.")))
            raise forms.ValidationError(errors)
        return clean


class KitNumberField(forms.DecimalField):
    """A measured number: typed the Russian way (2 700, 2,5), refused outside the field's sane range."""

    def __init__(self, *, definition, **kwargs):
        self.definition = definition
        whole = definition.decimal_places == 0
        super().__init__(
            max_digits=12,
            decimal_places=definition.decimal_places,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "numeric" if whole else "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")  # 2 700 / 2\u00a0700 as a phone keyboard types it
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        low, high = self.definition.min_value, self.definition.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            unit = f"\u00a0{self.definition.unit}" if self.definition.unit else ""
            raise forms.ValidationError(
                _("Enter a number from %(low)s to %(high)s%(unit)s.")
                % {"low": _grouped(low if low is not None else 0), "high": _grouped(high), "unit": unit},
                code="range",
            )


def _grouped(number):
    if number is None:
        return "…"
    return f"{number:,.2f}".rstrip("0").rstrip(".").replace(",", "\u202f")


KIT_PREFIX = "kit_"


def kit_field(definition):
    """The form field of one MeasurementField (data → a typed, validated input)."""
    kind = definition.kind
    label = f"{definition.label}, {definition.unit}" if definition.unit else definition.label
    common = {"label": label, "required": definition.required, "help_text": definition.help_text}
    if kind == MeasurementField.Kind.NUMBER:
        return KitNumberField(definition=definition, **common)
    if kind == MeasurementField.Kind.CHOICE:
        return forms.ChoiceField(choices=definition.choices(), widget=forms.RadioSelect, **common)
    if kind == MeasurementField.Kind.YES_NO:
        return forms.TypedChoiceField(
            choices=[("yes", _("yes")), ("no", _("no"))],
            coerce=lambda value: value == "yes",
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)


class MeasurementForm(BootstrapMixin, forms.Form):
    """The measurement: the kit's fields (data: `kit`), photos and sketches, the quote, objections and
    the next step. `submission_key` is made when the form is shown: a second submit of the same form
    (a retry on a flaky connection, a double tap) records nothing new."""

    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    photos = PhotosField(
        label=_("Photos and sketches"),
        required=False,
        help_text=_("Take photos of every wall and of the sketch; several at once."),
    )
    quote_amount = forms.DecimalField(label=_("Quote, ₽"), min_value=1, max_digits=12, decimal_places=2)
    objections = forms.ModelMultipleChoiceField(
        label=_("Objections"),
        queryset=ObjectionTag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    objection_note = forms.CharField(
        label=_("Objections, note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    next_step_due = forms.DateField(label=_("Next step by"), required=False, widget=DateInput())

    def __init__(self, *args, kit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kit = kit
        self.fields["objections"].queryset = ObjectionTag.objects.filter(is_active=True)
        self.fields["quote_amount"].widget.attrs["inputmode"] = "decimal"
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())
        kit_fields = {KIT_PREFIX + field.code: kit_field(field) for field in (kit.fields.all() if kit else [])}
        self.fields = {**kit_fields, **self.fields}
        for name in kit_fields:
            widget = self.fields[name].widget
            widget.attrs.setdefault(
                "class", "form-check-input" if isinstance(widget, forms.RadioSelect) else "form-control"
            )

    def kit_bound_fields(self):
        return [self[name] for name in self.fields if name.startswith(KIT_PREFIX)]

    def other_bound_fields(self):
        return [self[name] for name in self.fields if not name.startswith(KIT_PREFIX) and name != "submission_key"]

    def service_arguments(self):
        """The cleaned data as `lead_record_measurement` takes it."""
        data = self.cleaned_data
        values = {}
        for name, value in data.items():
            if name.startswith(KIT_PREFIX) and value not in (None, ""):
                values[name.removeprefix(KIT_PREFIX)] = _json_value(value)
        return {
            "quote_amount": data["quote_amount"],
            "objections": data.get("objections") or [],
            "objection_note": data.get("objection_note", ""),
            "next_step": data.get("next_step", ""),
            "next_step_due": data.get("next_step_due"),
            "kit": self.kit,
            "values": values,
            "photos": data.get("photos") or [],
            "submission_key": data.get("submission_key"),
        }


def _json_value(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


class WinForm(BootstrapMixin, forms.Form):
    """`ask_confirmation`: the amount was refused as far from the quote, show "I confirm the amount"
    (kept while the person submits it ticked)."""

    deal_amount = forms.DecimalField(label=_("Contract amount, ₽"), min_value=1, max_digits=12, decimal_places=2)
    deal_date = forms.DateField(label=_("Contract date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    confirm_unusual_amount = forms.BooleanField(label=_("I confirm the amount"), required=False)

    def __init__(self, *args, ask_confirmation=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal_date"].initial = timezone.localdate
        if not (ask_confirmation or (self.is_bound and self.data.get("confirm_unusual_amount"))):
            del self.fields["confirm_unusual_amount"]


class LoseForm(BootstrapMixin, forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=Reason.objects.none())
    competitor = forms.CharField(label=_("Competitor (if known)"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = _reasons(Reason.Kind.LOSE)


class ReassignForm(BootstrapMixin, forms.Form):
    """`slots`: the new rep was busy at the booked visit; the manager picks one of their free slots
    for it (kept while the form is submitted with a pick)."""

    sales_rep = forms.ModelChoiceField(label=_("New sales rep"), queryset=None)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    visit_starts_at = forms.DateTimeField(
        label=_("New time of the measurement with the new rep"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.Select,
    )

    def __init__(self, *args, reps=None, slots=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sales_rep"].queryset = reps
        self.fields["sales_rep"].label_from_instance = display_name
        if slots:
            self.fields["visit_starts_at"].required = True
            self.fields["visit_starts_at"].widget.choices = [("", _("— choose a free time —"))] + [
                (timezone.localtime(slot.starts_at).strftime(DATETIME_LOCAL), _slot_label(slot)) for slot in slots
            ]
        elif not (self.is_bound and self.data.get("visit_starts_at")):
            del self.fields["visit_starts_at"]


def _slot_label(slot):
    starts = timezone.localtime(slot.starts_at)
    return f"{date_format(starts, 'D d.m H:i')}–{date_format(timezone.localtime(slot.ends_at), 'H:i')}"


class UpholdForm(BootstrapMixin, forms.Form):
    """`reasons`: the disqualification reasons, read once for every dispute on the page."""

    note = forms.CharField(label=_("Why (kept in the history)"), widget=forms.Textarea(attrs={"rows": 2}))
    disqualify_reason = forms.TypedChoiceField(
        label=_("Disqualify instead of returning to qualification"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, reasons=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reasons = {reason.pk: reason for reason in (reasons if reasons is not None else disqualify_reasons())}
        self.fields["disqualify_reason"].choices = [("", _("— return to qualification —"))] + [
            (pk, reason.title) for pk, reason in self.reasons.items()
        ]

    def clean_disqualify_reason(self):
        value = self.cleaned_data["disqualify_reason"]
        return self.reasons.get(value) if value is not None else None


def disqualify_reasons():
    return list(_reasons(Reason.Kind.DISQUALIFY))


class RejectForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Why (kept in the history)"), widget=forms.Textarea(attrs={"rows": 2}))


class SlotBookForm(BootstrapMixin, forms.Form):
    """One of the listed free slots ("<rep id>|<local start>"), with the address and a note."""

    lead = forms.IntegerField(widget=forms.HiddenInput)
    slot = forms.CharField(error_messages={"required": _("Choose a free slot.")})
    address = forms.CharField(label=_("Address"), max_length=300)
    note = forms.CharField(label=_("Note for the rep"), required=False, max_length=2000)
    hand_off = forms.BooleanField(label=_("Hand the lead off to this rep now"), required=False)

    def clean_slot(self):
        value = self.cleaned_data["slot"]
        try:
            rep_id, moment = value.split("|", 1)
            naive = datetime.strptime(moment, DATETIME_LOCAL)
            return int(rep_id), timezone.make_aware(naive)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("Choose a free slot.")) from None


class DealCorrectForm(BootstrapMixin, forms.Form):
    """The sales manager corrects a won deal's amount and/or date; the reason is required."""

    amount = forms.DecimalField(label=_("Contract amount, ₽"), min_value=1, max_digits=12, decimal_places=2)
    deal_date = forms.DateField(label=_("Contract date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)


class DealReopenForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RunningLateForm(forms.Form):
    """ "Опаздываю" on the rep's day: the delay picked with one tap (a button per choice)."""

    minutes = forms.TypedChoiceField(
        label=_("Running late by"), coerce=int, choices=[(minutes, minutes) for minutes in LATE_CHOICES]
    )
