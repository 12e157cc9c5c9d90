"""schemathesis against the served OpenAPI document (/api/v1/schema/), in process through the WSGI app.

Every operation of the schema (intake and telephony webhook) gets generated requests, valid and
invalid by the schema, with a real token of each endpoint's kind: no 5xx, only documented status codes and content
types, and every body that has a documented schema matches it.

RELIABILITY_SCHEMATHESIS_EXAMPLES (default 250) sets the examples per operation.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadflow.models import ApiToken, Source
from leadflow.services import api_token_issue
from leadflow.wsgi import application

EXAMPLES = int(os.environ.get("RELIABILITY_SCHEMATHESIS_EXAMPLES", "250"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CALLS = Counter()


@pytest.fixture
def _no_connection_recycling():
    """schemathesis calls the bare WSGI app, whose request signals close a connection older than
    CONN_MAX_AGE, which inside the test's transaction breaks it; Django's test client unhooks them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(db, _no_connection_recycling):
    """Each operation with a token of its own kind: a website intake token, a telephony token."""
    intake = api_token_issue(source=Source.objects.get(code="website"))
    telephony = api_token_issue(kind=ApiToken.Kind.TELEPHONY)
    return {
        path: {"Authorization": f"Token {token.key}", "Accept-Language": "en"}
        for path, token in (("/api/v1/leads/", intake), ("/api/v1/calls/", telephony))
    }


# loaded from the running app at collection (the schema view reads no database)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token_headers):
    token_header = token_headers[case.operation.path]
    response = case.call(headers=token_header)
    CALLS[(case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=CHECKS, headers=token_header)


def test_schemathesis_ran_enough_cases():
    """The count of generated requests (runs after the test above in file order; skipped when run alone)."""
    if not CALLS:
        pytest.skip("run together with test_api_conforms_to_its_schema")
    per_operation = Counter()
    for (operation, _status), count in CALLS.items():
        per_operation[operation] += count
    print(f"\nschemathesis: {sum(CALLS.values())} requests; {dict(per_operation)}; by status {dict(CALLS)}")
    assert len(per_operation) == 2
    assert all(count >= EXAMPLES for count in per_operation.values()), per_operation
