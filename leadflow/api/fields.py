"""Serializer fields of the machine APIs that take only the JSON types their schema names."""

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadflow.forms import PHONE_INPUT_MAX_LENGTH, model_max_length, unknown_language


class TextField(serializers.CharField):
    """A JSON string, as the schema says: DRF's CharField would also take 12 or 1.5 and store "12"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdentifierField(serializers.CharField):
    """A string or a whole number: order ids and phone numbers often leave other systems as JSON numbers."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        return super().to_internal_value(data)


class LanguageField(serializers.ChoiceField):
    """A language code of leadflow.models.Language, exactly; anything else is refused with the same
    message as the import's (leadflow.forms.unknown_language)."""

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            raise serializers.ValidationError(unknown_language(data).messages)
        return self.choice_strings_to_values[data]


def _form_encoded(field):
    """A form-encoded or multipart body: every value is a string there, so the type is not checked."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: DRF's IntegerField would also take "94" or 94.0 (not true: int("True") fails)."""

    def to_internal_value(self, data):
        if not _form_encoded(self) and (isinstance(data, bool) or not isinstance(data, int)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false: DRF's BooleanField would also take "yes", "1" and 1."""

    def to_internal_value(self, data):
        if not _form_encoded(self) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 string (a number is not a timestamp the schema allows)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        return super().to_internal_value(value)


def _string_or_integer(max_length):
    return extend_schema_field({"oneOf": [{"type": "string", "maxLength": max_length}, {"type": "integer"}]})


@_string_or_integer(PHONE_INPUT_MAX_LENGTH)
class PhoneInputField(IdentifierField):
    pass


@_string_or_integer(model_max_length("external_id"))
class ExternalIdField(IdentifierField):
    pass
