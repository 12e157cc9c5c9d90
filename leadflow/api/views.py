"""The intake API: `POST /api/v1/leads/` with a per-source token."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from leadflow import selectors, services

from .authentication import HasIntakeToken
from .base import BAD_REQUEST_SCHEMA, MACHINE_ERRORS, MachineAPIView
from .intake_fast import lead_fields_or_none, respond
from .serializers import IntakeConflictSerializer, LeadIntakeResultSerializer, LeadIntakeSerializer, intake_result_body

# the schema's example delivery (tests/leadflow/test_intake_fast.py: it takes the fast path)
WEBSITE_LEAD_EXAMPLE = {
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
}


def _payload(data):
    """The delivery as received, for the inquiry record (a QueryDict from form-encoded webhooks too)."""
    if hasattr(data, "dict"):
        return data.dict()
    return dict(data) if isinstance(data, dict) else {}


class LeadIntakeView(MachineAPIView):
    permission_classes = [HasIntakeToken]

    def dispatch(self, request, *args, **kwargs):
        """A usual delivery is answered by leadflow.api.intake_fast.respond, the same steps without DRF's
        request cycle; anything else by the cycle below (`post`)."""
        response = respond(request)
        if response is None:
            return super().dispatch(request, *args, **kwargs)
        self.headers = self.default_response_headers
        for key, value in self.headers.items():
            response[key] = value
        return response

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
                value=WEBSITE_LEAD_EXAMPLE,
            ),
        ],
        tags=["intake"],
    )
    def post(self, request):
        token = request.auth
        context = {"token": token}
        # the serializer runs only for what the fast check is not sure of: it then accepts, or says why not
        serializer, fields = None, lead_fields_or_none(request.data, token)
        if fields is None:
            serializer = LeadIntakeSerializer(data=request.data, context=context)
            serializer.is_valid(raise_exception=True)
            fields = serializer.lead_fields()
        result = services.lead_receive(source=token.source, channel="api", payload=_payload(request.data), **fields)
        if result.duplicate:
            first = selectors.delivery_first(source=token.source, external_id=fields["external_id"])
            if serializer is None:
                serializer = LeadIntakeSerializer(data=request.data, context=context)
                serializer.is_valid(raise_exception=True)
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
        body = intake_result_body(result)
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
