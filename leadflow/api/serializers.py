"""Intake API payloads. Same rules as the web form and the import: model lengths, product choices,
phones through `leadflow.phones.normalize_phone`."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from leadflow.forms import MESSAGE_MAX_LENGTH, PHONE_INPUT_MAX_LENGTH, model_max_length
from leadflow.models import Language, LeadStatus, ProductInterest
from leadflow.phones import normalize_phone

from .fields import ExternalIdField, LanguageField, PhoneInputField, TextField

LEAD_FIELDS = (
    "name",
    "email",
    "city",
    "product_interest",
    "language",
    "message",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)


class LeadIntakeSerializer(serializers.Serializer):
    phone = PhoneInputField(
        max_length=PHONE_INPUT_MAX_LENGTH,
        help_text=_("Any Russian format: +7 912 345-67-89, 8 (912) 345-67-89, 9123456789. Stored as E.164."),
    )
    name = TextField(max_length=model_max_length("name"), required=False, allow_blank=True)
    email = serializers.EmailField(max_length=model_max_length("email"), required=False, allow_blank=True)
    source = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=_("Optional; if given it must be the code of the token's source."),
    )
    external_id = ExternalIdField(
        max_length=model_max_length("external_id"),
        required=False,
        allow_blank=True,
        help_text=_("Your id of this delivery: the same (source, external_id) again returns the same lead."),
    )
    message = TextField(max_length=MESSAGE_MAX_LENGTH, required=False, allow_blank=True)
    product_interest = serializers.ChoiceField(
        choices=ProductInterest.choices, required=False, default=ProductInterest.UNKNOWN
    )
    language = LanguageField(
        choices=Language.choices,
        required=False,
        allow_blank=True,
        help_text=_("The language the client wants to be served in (its code); hand-off routes may use it."),
    )
    city = TextField(max_length=model_max_length("city"), required=False, allow_blank=True)
    utm_source = TextField(max_length=model_max_length("utm_source"), required=False, allow_blank=True)
    utm_medium = TextField(max_length=model_max_length("utm_medium"), required=False, allow_blank=True)
    utm_campaign = TextField(max_length=model_max_length("utm_campaign"), required=False, allow_blank=True)

    def get_fields(self):
        """The declared fields, each copied shallowly: DRF deep-copies every field with its arguments for
        each request (~0.1 ms of intake's Python, issue 14). A field's configuration (lengths, choices,
        validators, messages) is only read while validating; what binding sets (name, parent, label,
        source) lands on the copy."""
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    def validate_phone(self, value):
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None

    def validate_source(self, value):
        token = self.context["token"]
        if value and value != token.source.code:
            raise serializers.ValidationError(
                _("This token belongs to source “%(expected)s”, not “%(given)s”.")
                % {"expected": token.source.code, "given": value}
            )
        return value

    def fields_differing_from(self, inquiry):
        """The fields in which this delivery differs from the earlier `inquiry` of the same external id,
        both read by the same rules (so "8 (912) 345-67-89" equals "+79123456789"). An earlier delivery
        that came by another channel (import, form), or that these rules no longer accept, cannot be
        compared: none are named then, and the redelivery answers as before."""
        if inquiry is None or inquiry.channel != "api":
            return []
        earlier = LeadIntakeSerializer(data=inquiry.payload, context=self.context)
        if not earlier.is_valid():
            return []
        mine, theirs = self.lead_fields(), earlier.lead_fields()
        return [key for key in ("phone", *LEAD_FIELDS) if mine[key] != theirs[key]]

    def lead_fields(self):
        """Keyword arguments for `leadflow.services.lead_receive` (source and channel are the view's)."""
        return self.lead_fields_of(self.validated_data)

    @staticmethod
    def lead_fields_of(data):
        """`lead_fields()` of these validated data (leadflow.api.intake_fast builds them without the serializer)."""
        return {
            "phone": data["phone"],
            "external_id": data.get("external_id", ""),
            **{key: data.get(key) or "" for key in LEAD_FIELDS},
        }


class LeadIntakeResultSerializer(serializers.Serializer):
    """What happened: a new lead (201), or the same lead again (200) as an attached repeat or a redelivery."""

    id = serializers.IntegerField(source="lead.pk", help_text=_("The lead's id."))
    status = serializers.ChoiceField(choices=LeadStatus.choices, source="lead.status")
    received_at = serializers.DateTimeField(source="lead.received_at")
    attached = serializers.BooleanField(
        help_text=_("True when this inquiry was attached to an open lead of the same phone.")
    )
    duplicate = serializers.BooleanField(
        help_text=_("True when this (source, external_id) was delivered before: nothing new was saved.")
    )


def intake_result_body(result):
    """`LeadIntakeResultSerializer(result).data` without building the serializer per request (issue 14):
    the same keys and values (tests/leadflow/test_intake_api.py holds them equal)."""
    return {
        "id": result.lead_id,
        "status": result.status,
        "received_at": _RECEIVED_AT.to_representation(result.received_at),
        "attached": result.attached,
        "duplicate": result.duplicate,
    }


_RECEIVED_AT = serializers.DateTimeField()


class IntakeConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    lead_id = serializers.IntegerField(help_text=_("The lead the first delivery of this external id created."))
    fields = serializers.ListField(
        child=serializers.CharField(), help_text=_("The fields whose values differ from the first delivery.")
    )
