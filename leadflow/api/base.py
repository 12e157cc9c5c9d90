"""The base of every machine endpoint (intake, telephony): token auth and a per-token throttle, strict
parsers, JSON answers for a body too large (413) and a database that is down (503 with Retry-After),
never Django's HTML error page; and the error shapes every endpoint documents."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from .authentication import ApiTokenAuthentication, ApiTokenRateThrottle
from .parsers import StrictJSONParser

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


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """The answer is JSON whatever the client's Accept header says (machines, and one parse less per
    request); the request's Content-Type still picks the parser."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MachineAPIView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    throttle_classes = [ApiTokenRateThrottle]
    parser_classes = PARSERS
    # machines read JSON: no browsable HTML page (English, and one more renderer to negotiate per request)
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation

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
