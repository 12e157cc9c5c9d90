"""The intake API: `POST /api/v1/leads/` with a per-source token."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow import services

from .authentication import HasIntakeToken, IntakeTokenAuthentication
from .parsers import StrictJSONParser
from .serializers import ErrorSerializer, LeadIntakeResultSerializer, LeadIntakeSerializer

PARSERS = [StrictJSONParser, FormParser, MultiPartParser]
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


class LeadIntakeView(APIView):
    authentication_classes = [IntakeTokenAuthentication]
    permission_classes = [HasIntakeToken]
    parser_classes = PARSERS

    @extend_schema(
        operation_id="leads_create",
        summary="Deliver a lead",
        description=(
            "Creates a lead for the token's source (201). The same `(source, external_id)` again answers 200 "
            "with the same lead (`duplicate: true`); an inquiry from a phone that already has an open lead "
            "is attached to it and answers 200 (`attached: true`). Nothing is saved on a 400."
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
            401: OpenApiResponse(ErrorSerializer, description="Missing, invalid or inactive token."),
            415: OpenApiResponse(
                ErrorSerializer,
                description="Unsupported Content-Type: send application/json, form-urlencoded or multipart.",
            ),
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
        body = LeadIntakeResultSerializer(result).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
