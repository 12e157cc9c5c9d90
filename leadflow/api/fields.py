"""Serializer fields of the machine APIs that take only the JSON types their schema names."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadflow.forms import PHONE_INPUT_MAX_LENGTH, model_max_length


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


def _string_or_integer(max_length):
    return extend_schema_field({"oneOf": [{"type": "string", "maxLength": max_length}, {"type": "integer"}]})


@_string_or_integer(PHONE_INPUT_MAX_LENGTH)
class PhoneInputField(IdentifierField):
    pass


@_string_or_integer(model_max_length("external_id"))
class ExternalIdField(IdentifierField):
    pass
