"""The served OpenAPI document (/api/v1/schema/) as a response validator for the hypothesis fuzz tests."""

import functools
import json

import jsonschema
from django.test import Client


@functools.cache
def openapi():
    response = Client().get("/api/v1/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def _as_json_schema(node):
    """OpenAPI 3.0 `nullable: true` → JSON Schema's type list, recursively."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


def documented_statuses(path, method):
    return set(openapi()["paths"][path][method]["responses"])


def validate_body(path, method, status, body):
    """Raise jsonschema.ValidationError when `body` breaks the documented schema of that status."""
    response = openapi()["paths"][path][method]["responses"][str(status)]
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    document = _as_json_schema({**schema, "components": openapi()["components"]})
    jsonschema.validate(body, document, cls=jsonschema.Draft7Validator, format_checker=jsonschema.FormatChecker())
