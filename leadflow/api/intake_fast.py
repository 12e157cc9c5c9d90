"""Intake's usual delivery answered without DRF's request cycle, and its payload checked without building
the serializer (issue 14).

`respond(request)` answers a POST of a JSON object with a valid intake token whose fields the check below
accepts and which makes or attaches a lead: the same steps as `LeadIntakeView` (the token lookup, the
rate counter, the token's touch, `lead_receive`, the same answer body, rendered by the same renderer), the
same answer (tests/leadflow/test_intake_fast.py holds the two paths' answers equal). Anything else, before
anything is written or counted (no token or another kind, a body it cannot read, a field it is unsure
of), and what is rare after (over the rate, a redelivery, a database error), it leaves to the view: `None`.
DRF's cycle (request wrapper, parser selection, authentication, throttles, response rendering) cost ~0.2 ms
of the ~2.2 ms of Python per lead.

`LeadIntakeSerializer` stays the definition: its declared fields (lengths, choices, blank, validators) are
read once here, and `lead_fields_or_none` answers what `LeadIntakeSerializer(...).lead_fields()` would
answer for a delivery the serializer accepts, or None for anything it is not sure of: a value that is not
a string, a failed check, a form-encoded body, a field of a kind this module does not know. The view then
runs the serializer, which gives its own answer and error messages. So the fast path can only accept
what the serializer accepts, with the same values (tests/leadflow/test_intake_fast.py holds the two equal
over generated payloads); it costs ~0.05 ms against the serializer's ~0.2 ms per delivery.
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import parse_header_parameters
from rest_framework import serializers
from rest_framework.authentication import get_authorization_header
from rest_framework.fields import ProhibitSurrogateCharactersValidator
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json

from leadflow import services
from leadflow.models import ApiToken
from leadflow.phones import normalize_phone

from .authentication import RATE_DECISION, request_ip, token_of_key, token_rate_hit, token_touch, token_usable
from .fields import ExternalIdField, LanguageField, PhoneInputField, TextField
from .parsers import json_problem
from .serializers import LeadIntakeSerializer, intake_result_body

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


_RENDERER = JSONRenderer()


def respond(request):
    """The answer to a usual delivery (201 new lead, 200 attached), or None: the view's DRF cycle answers.
    A database error (the token's lookup or touch, the lead) hands the request over too: nothing was saved,
    and the view tries once more and answers 503 if the database is still down."""
    try:
        return _respond(request)
    except (OperationalError, InterfaceError):
        return None


def _respond(request):
    if request.method != "POST" or _PLAN is None:
        return None
    media_type, parameters = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if media_type != "application/json" or parameters.get("charset", "utf-8").lower() != "utf-8":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    parts = get_authorization_header(request).split()
    too_large = limit is not None and length > limit  # the view's 413
    if length <= 0 or too_large or len(parts) != 2 or parts[0].lower() != b"token":
        return None
    try:
        token = token_of_key(parts[1].decode())
    except UnicodeError:
        return None
    now = timezone.now()
    if not token_usable(token, now) or token.kind != ApiToken.Kind.INTAKE or token.source_id is None:
        return None
    try:
        data = json.loads(request.body.decode("utf-8"))  # DRF's strict json: NaN and Infinity refused
    except (ValueError, RecursionError):
        return None
    if type(data) is not dict or json_problem(data) is not None:
        return None
    fields = lead_fields_or_none(data, token)
    if fields is None:
        return None
    # from here on the steps of the view, in its order; a request handed over is not counted twice
    allowed, wait = token_rate_hit(token)
    setattr(request, RATE_DECISION, (allowed, wait))
    if not allowed:
        return None
    token_touch(token, request_ip(request), now)
    result = services.lead_receive(source=token.source, channel="api", payload=dict(data), **fields)
    if result.duplicate:
        return None  # a redelivery wrote nothing: the view answers it (200, or 422 naming the differences)
    return HttpResponse(
        _RENDERER.render(intake_result_body(result)),
        status=201 if result.created else 200,
        content_type=_RENDERER.media_type,
    )
