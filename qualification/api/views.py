"""Telephony webhook: PBX / call-tracking events become call attempts (and stop the SLA clock)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from leadflow.api.authentication import HasTelephonyToken
from leadflow.api.base import BAD_REQUEST_SCHEMA, DETAIL_SCHEMA, MACHINE_ERRORS, MachineAPIView
from leadflow.api.fields import (
    PhoneInputField,
    StrictBooleanField,
    StrictDateTimeField,
    StrictIntegerField,
    TextField,
)
from leadflow.exceptions import LeadflowError
from leadflow.forms import PHONE_INPUT_MAX_LENGTH
from leadflow.phones import normalize_phone

from ..exceptions import CallEventRefused
from ..models import CallAttempt
from ..sla import call_event_record, call_operator_find, call_start_problem


class CallEventSerializer(serializers.Serializer):
    """Every field takes only the JSON type its schema names (a form-encoded body: strings, parsed)."""

    event_id = TextField(
        max_length=120, help_text=_("The PBX's unique id of the call: redeliveries are recognised by it.")
    )
    caller = PhoneInputField(
        max_length=PHONE_INPUT_MAX_LENGTH, help_text=_("Who called: the client on an inbound call.")
    )
    callee = PhoneInputField(
        max_length=PHONE_INPUT_MAX_LENGTH, help_text=_("Who was called: the client on an outbound call.")
    )
    direction = serializers.ChoiceField(choices=CallAttempt.Direction.choices)
    started_at = StrictDateTimeField(help_text=_("ISO 8601 with an offset, e.g. 2026-11-27T10:15:00+03:00."))
    duration = StrictIntegerField(min_value=0, max_value=86_400, help_text=_("Talk time, seconds."))
    answered = StrictBooleanField()
    operator = TextField(
        max_length=254, required=False, allow_blank=True, help_text=_("The operator's phone extension or e-mail.")
    )

    def validate_started_at(self, value):
        problem = call_start_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs):
        client_field = "caller" if attrs["direction"] == CallAttempt.Direction.INBOUND else "callee"
        try:
            attrs["client_phone"] = normalize_phone(attrs[client_field])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({client_field: exc.messages}) from None
        return attrs


class CallEventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    lead_id = serializers.IntegerField(allow_null=True, help_text=_("Null when an outbound call matched no open lead."))
    call_attempt_id = serializers.IntegerField(
        allow_null=True, help_text=_("Null for a missed inbound call (the client's attempt, not our response).")
    )
    lead_created = serializers.BooleanField()
    duplicate = serializers.BooleanField(help_text=_("True when this event id was already recorded."))
    sla_state = serializers.CharField(allow_null=True)


class CallEventView(MachineAPIView):
    """POST /api/v1/calls/ with `Authorization: Token <key>` (a telephony token)."""

    permission_classes = [HasTelephonyToken]

    @extend_schema(
        operation_id="calls_create",
        summary="Record a telephony call event",
        description=(
            "Logs the call as a call attempt on the open lead of the client's number (outcome `reached` "
            "when answered, `no_answer` otherwise), which stops the lead's SLA clock. An inbound call from "
            "a number without an open lead creates a lead with source `call_tracking`; a missed inbound "
            "call is recorded as a repeat inquiry and does not stop the clock. Idempotent by `event_id`: "
            "a redelivery answers 200 with `duplicate: true` and changes nothing. A call that starts before "
            "its lead was received, or long ago, is refused (400). Once a lead's SLA is breached, no call "
            "makes it `met` again (`met_late`). Only a telephony token is accepted (an intake token is 403)."
        ),
        request=CallEventSerializer,
        responses={
            201: CallEventResultSerializer,
            200: OpenApiResponse(CallEventResultSerializer, description="Already recorded, or no open lead"),
            400: OpenApiResponse(
                BAD_REQUEST_SCHEMA, description="Field errors, or `{detail: message}` for a body that cannot be parsed"
            ),
            409: OpenApiResponse(DETAIL_SCHEMA, description="The lead closed meanwhile"),
            **MACHINE_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Answered outbound call",
                value={
                    "event_id": "pbx-8f3a1c",
                    "caller": "101",
                    "callee": "+79123456789",
                    "direction": "outbound",
                    "started_at": "2026-11-27T10:15:00+03:00",
                    "duration": 94,
                    "answered": True,
                    "operator": "anna@example.com",
                },
                request_only=True,
            )
        ],
        tags=["telephony"],
    )
    def post(self, request):
        serializer = CallEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = call_event_record(
                event_id=data["event_id"],
                client_phone=data["client_phone"],
                direction=data["direction"],
                started_at=data["started_at"],
                duration_seconds=data["duration"],
                answered=data["answered"],
                operator=call_operator_find(data.get("operator", "")),
                payload={key: request.data.get(key) for key in CallEventSerializer().fields}
                | {"operator": data.get("operator", "")},
                reported_by=request.auth,
            )
        except CallEventRefused as exc:
            return Response({exc.field: [str(exc.message)]}, status=status.HTTP_400_BAD_REQUEST)
        except LeadflowError as exc:
            return Response({"detail": str(exc.message)}, status=status.HTTP_409_CONFLICT)
        created = not result.duplicate and (
            result.attempt is not None or result.lead_created or result.lead is not None
        )
        body = {
            "event_id": data["event_id"],
            "lead_id": result.lead.pk if result.lead else None,
            "call_attempt_id": result.attempt.pk if result.attempt else None,
            "lead_created": result.lead_created,
            "duplicate": result.duplicate,
            "sla_state": result.lead.sla_state if result.lead else None,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
