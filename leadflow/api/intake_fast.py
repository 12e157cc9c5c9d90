"""The intake payload checked without building the serializer, for the deliveries it accepts (issue 14).

`LeadIntakeSerializer` stays the definition: its declared fields (lengths, choices, blank, validators) are
read once here, and `lead_fields_or_none` answers what `LeadIntakeSerializer(...).lead_fields()` would
answer for a delivery the serializer accepts, or None for anything it is not sure of: a value that is not
a string, a failed check, a form-encoded body, a field of a kind this module does not know. The view then
runs the serializer, which gives its own answer and error messages. So the fast path can only accept
what the serializer accepts, with the same values (tests/leadflow/test_intake_fast.py holds the two equal
over generated payloads); it costs ~0.05 ms against the serializer's ~0.2 ms per delivery.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.fields import ProhibitSurrogateCharactersValidator

from leadflow.phones import normalize_phone

from .fields import ExternalIdField, LanguageField, PhoneInputField, TextField
from .serializers import LeadIntakeSerializer

_TEXT_KINDS = (TextField, PhoneInputField, ExternalIdField, serializers.EmailField)
_CHOICE_KINDS = (serializers.ChoiceField, LanguageField)
# the serializer's own per-field checks this module repeats (validate_<name>), and nothing else
_KNOWN_FIELD_CHECKS = {"validate_phone", "validate_source"}


def _plan(serializer_class):
    """Per declared field: (name, kind, field), or None when the serializer does something this module
    does not repeat (then every delivery goes through the serializer)."""
    if serializer_class.validate is not serializers.Serializer.validate:
        return None
    base = serializers.Serializer
    checks = {name for name in dir(serializer_class) if name.startswith("validate_") and not hasattr(base, name)}
    if not checks <= _KNOWN_FIELD_CHECKS:
        return None
    plan = []
    for name, field in serializer_class._declared_fields.items():
        if field.read_only or field.source not in (None, name) or field.allow_null:
            return None
        if type(field) in _TEXT_KINDS:
            if not field.trim_whitespace or field.min_length is not None:
                return None
            plan.append((name, "text", field))
        elif type(field) in _CHOICE_KINDS:
            if field.validators:
                return None
            plan.append((name, "choice", field))
        else:
            return None
    return tuple(plan)


_PLAN = _plan(LeadIntakeSerializer)


def lead_fields_or_none(data, token):
    """`LeadIntakeSerializer(data=data, context={"token": token})`'s `lead_fields()` when it is valid,
    or None: then ask the serializer (it may still accept the delivery, or say what is wrong)."""
    if _PLAN is None or type(data) is not dict:
        return None
    validated = {}
    for name, kind, field in _PLAN:
        if name not in data:
            if field.required:
                return None
            if field.default is not serializers.empty:
                validated[name] = field.default
            continue
        value = data[name]
        if type(value) is not str:
            return None
        if kind == "choice":
            if value == "" and field.allow_blank:
                validated[name] = ""
            elif value in field.choice_strings_to_values:
                validated[name] = field.choice_strings_to_values[value]
            else:
                return None
            continue
        value = value.strip()
        if not value:
            if not field.allow_blank:
                return None
            validated[name] = ""  # a blank value skips the field's checks, as in the serializer
            continue
        try:
            for validator in field.validators:
                # the surrogate check walks the string in Python: an ASCII string has none
                if type(validator) is ProhibitSurrogateCharactersValidator and value.isascii():
                    continue
                if type(validator) is ProhibitNullCharactersValidator and "\x00" not in value:
                    continue
                validator(value)
            if name == "phone":
                value = normalize_phone(value)
        except (DjangoValidationError, serializers.ValidationError):
            return None
        if name == "source" and value != token.source.code:
            return None
        validated[name] = value
    return LeadIntakeSerializer.lead_fields_of(validated)
