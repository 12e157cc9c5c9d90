"""The intake API: `POST /api/v1/leads/` with a per-source token; `MachineAPIView`, the base of every
machine endpoint (intake, telephony): JSON answers for a body too large (413) and a database that is down
(503 with Retry-After), never Django's HTML error page."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow import selectors, services

from .authentication import ApiTokenAuthentication, ApiTokenRateThrottle, HasIntakeToken
from .parsers import StrictJSONParser
from .serializers import IntakeConflictSerializer, LeadIntakeResultSerializer, LeadIntakeSerializer

log = logging.getLogger(__name__)
PARSERS = [StrictJSONParser, FormParser, MultiPartParser]
DATABASE_RETRY_AFTER_SECONDS = 30


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class DatabaseUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is temporarily unavailable: nothing was saved. Send the request again later.")
    default_code = "database_unavailable"


class MachineAPIView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    throttle_classes = [ApiTokenRateThrottle]
    parser_classes = PARSERS

    def initial(self, request, *args, **kwargs):
        # Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when request.body is read; DRF's parsers read
        # the stream directly, so the limit is checked here, before anything is parsed or looked up.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise PayloadTooLarge(
                _("The request body is %(size)d bytes; at most %(limit)d are accepted.")
                % {"size": length, "limit": limit}
            )
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, OperationalError | InterfaceError):
            log.error("database unavailable for %s", self.request.path, exc_info=exc)
            exc = DatabaseUnavailable()
        response = super().handle_exception(exc)
        if isinstance(exc, DatabaseUnavailable):
            response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response


DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
# The answers every machine endpoint may give besides its own.
MACHINE_ERRORS = {
    401: OpenApiResponse(DETAIL_SCHEMA, description="Missing, unknown, revoked or expired token."),
    403: OpenApiResponse(DETAIL_SCHEMA, description="A valid token of another kind (intake vs telephony)."),
    413: OpenApiResponse(DETAIL_SCHEMA, description="The body is over the size limit: nothing was read."),
    415: OpenApiResponse(
        DETAIL_SCHEMA, description="Unsupported Content-Type: send application/json, form-urlencoded or multipart."
    ),
    429: OpenApiResponse(
        DETAIL_SCHEMA, description="Over the token's rate limit: nothing was saved; retry after `Retry-After` seconds."
    ),
    503: OpenApiResponse(
        DETAIL_SCHEMA,
        description="The database is unavailable: nothing was saved; retry after the `Retry-After` seconds.",
    ),
}
# What a 400 body is: {field: [messages]} after validation, {"detail": message} when the body cannot be parsed.
BAD_REQUEST_SCHEMA = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
}


def _payload(data):
    """The delivery as received, for the inquiry record (a QueryDict from form-encoded webhooks too)."""
    if hasattr(data, "dict"):
        return data.dict()
    return dict(data) if isinstance(data, dict) else {}


class LeadIntakeView(MachineAPIView):
    permission_classes = [HasIntakeToken]

    @extend_schema(
        operation_id="leads_create",
        summary="Deliver a lead",
        description=(
            "Creates a lead for the token's source (201). The same `(source, external_id)` with the same data "
            "again answers 200 with the same lead (`duplicate: true`); with different data it is refused (422, "
            "naming the first lead and the fields that differ): an external id names one delivery. An inquiry "
            "from a phone that already has an open lead is attached to it and answers 200 (`attached: true`). "
            "Nothing is saved on a 4xx or 5xx."
        ),
        request=LeadIntakeSerializer,
        responses={
            201: OpenApiResponse(LeadIntakeResultSerializer, description="A new lead was created."),
            200: OpenApiResponse(
                LeadIntakeResultSerializer, description="Attached to an open lead, or a repeated delivery."
            ),
            400: OpenApiResponse(
                BAD_REQUEST_SCHEMA,
                description="Per-field errors `{field: [messages]}`, or `{detail: message}` for a body "
                "that cannot be parsed (broken JSON, invalid Unicode).",
            ),
            422: OpenApiResponse(
                IntakeConflictSerializer,
                description="This `(source, external_id)` was delivered before with other data: nothing saved.",
            ),
            **MACHINE_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Website lead",
                request_only=True,
                value={
                    "name": "Анна Смирнова",
                    "phone": "8 (912) 345-67-89",
                    "email": "anna@example.com",
                    "external_id": "order-1842",
                    "product_interest": "custom",
                    "city": "Москва",
                    "message": "Угловая кухня, 3.2 м",
                    "utm_source": "yandex",
                    "utm_medium": "cpc",
                    "utm_campaign": "kitchens-spring",
                },
            ),
        ],
        tags=["intake"],
    )
    def post(self, request):
        token = request.auth
        serializer = LeadIntakeSerializer(data=request.data, context={"token": token})
        serializer.is_valid(raise_exception=True)
        result = services.lead_receive(
            source=token.source, channel="api", payload=_payload(request.data), **serializer.lead_fields()
        )
        if result.duplicate:
            first = selectors.delivery_first(source=token.source, external_id=serializer.lead_fields()["external_id"])
            differing = serializer.fields_differing_from(first)
            if differing:
                conflict = {
                    "detail": _(
                        "Delivery “%(external_id)s” of source “%(source)s” was already received as lead "
                        "#%(lead)s with other data (%(fields)s). Nothing was saved: a new inquiry needs "
                        "a new external_id."
                    )
                    % {
                        "external_id": first.external_id,
                        "source": token.source.code,
                        "lead": first.lead_id,
                        "fields": ", ".join(differing),
                    },
                    "lead_id": first.lead_id,
                    "fields": differing,
                }
                return Response(conflict, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        body = LeadIntakeResultSerializer(result).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
