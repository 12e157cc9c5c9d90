"""A preset file (presets/data/<code>.json) and its schema: loaded, validated, never trusted blindly.

The JSON Schema checks the shape; `_check_references` what a schema cannot say (a criterion's
disqualification reason is one of the preset's reasons, codes are unique, a day closes after it opens).
"""

import json
from functools import cache
from pathlib import Path

import jsonschema

DATA = Path(__file__).resolve().parent / "data"

CODE = {"type": "string", "pattern": "^[a-z0-9_]+$", "maxLength": 40}
TEXT = {"type": "string", "minLength": 1}
CODED = {
    "type": "object",
    "required": ["code", "title"],
    "additionalProperties": False,
    "properties": {"code": CODE, "title": {"type": "string", "minLength": 1, "maxLength": 200}},
}
STEP = {  # a step of the call script a reviewer ticks (qualification.ScriptStep)
    "type": "object",
    "required": ["code", "title"],
    "additionalProperties": False,
    "properties": {
        "code": CODE,
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "hint": {"type": "string", "maxLength": 300},
    },
}
NUMBER_OR_NULL = {"type": ["number", "null"]}
OPTION = {
    "type": "object",
    "required": ["value", "label"],
    "additionalProperties": False,
    "properties": {"value": {"type": "string", "minLength": 1}, "label": TEXT, "passes": {"type": "boolean"}},
}
CRITERION = {
    "type": "object",
    "required": ["code", "question", "kind", "disqualify_reason"],
    "additionalProperties": False,
    "properties": {
        "code": CODE,
        "question": {"type": "string", "minLength": 1, "maxLength": 300},
        "help_text": {"type": "string", "maxLength": 300},
        "kind": {"enum": ["choice", "number", "yes_no"]},
        "options": {"type": "array", "items": OPTION},
        "min_value": NUMBER_OR_NULL,
        "max_value": NUMBER_OR_NULL,
        "valid_min": NUMBER_OR_NULL,
        "valid_max": NUMBER_OR_NULL,
        "unit": {"type": "string", "maxLength": 20},
        "pass_if_yes": {"type": "boolean"},
        "required": {"type": "boolean"},
        "disqualify_reason": {"anyOf": [CODE, {"type": "null"}]},
    },
}
FIELD = {
    "type": "object",
    "required": ["code", "label", "kind"],
    "additionalProperties": False,
    "properties": {
        "code": CODE,
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
        "help_text": {"type": "string", "maxLength": 300},
        "kind": {"enum": ["number", "choice", "yes_no", "text"]},
        "unit": {"type": "string", "maxLength": 20},
        "min_value": NUMBER_OR_NULL,
        "max_value": NUMBER_OR_NULL,
        "decimal_places": {"type": "integer", "minimum": 0, "maximum": 2},
        "options": {"type": "array", "items": OPTION},
        "required": {"type": "boolean"},
    },
}
TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
HOURS = {
    "type": "object",
    "required": ["weekdays", "opens", "closes"],
    "additionalProperties": False,
    "properties": {
        "weekdays": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 6},
            "minItems": 1,
            "uniqueItems": True,
        },
        "opens": TIME,
        "closes": TIME,
    },
}
MONEY = {"type": "number", "minimum": 0}
PLAN = {
    "type": "object",
    "required": ["name", "role", "fixed_monthly", "bonus_per_won_deal", "revenue_share_percent"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "role": {"enum": ["qualifier", "qualification_lead", "sales_rep", "sales_manager", "director"]},
        "fixed_monthly": MONEY,
        "bonus_per_won_deal": MONEY,
        "revenue_share_percent": {"type": "number", "minimum": 0, "maximum": 100},
    },
}
STRINGS = {"type": "array", "items": {"type": "string"}, "minItems": 1}
ROLE_MAP = {"type": "object", "additionalProperties": CODE}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "code",
        "title",
        "asks_product_interest",
        "checklist",
        "call_script",
        "reasons",
        "objection_tags",
        "visit",
        "visit_form",
        "sla",
        "hours",
        "bonus_plans",
        "demo",
    ],
    "additionalProperties": False,
    "properties": {
        "code": CODE,
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        # the kitchen's "made to measure or modular?" on the public form and the lead (ProductInterest)
        "asks_product_interest": {"type": "boolean"},
        "checklist": {
            "type": "object",
            "required": ["title", "criteria"],
            "additionalProperties": False,
            "properties": {"title": TEXT, "criteria": {"type": "array", "items": CRITERION, "minItems": 1}},
        },
        "call_script": {
            "type": "object",
            "required": ["title", "text", "steps"],
            "additionalProperties": False,
            "properties": {"title": TEXT, "text": TEXT, "steps": {"type": "array", "items": STEP, "minItems": 1}},
        },
        "reasons": {
            "type": "object",
            "required": ["disqualify", "lose", "dispute"],
            "additionalProperties": False,
            "properties": {
                kind: {"type": "array", "items": CODED, "minItems": 1} for kind in ("disqualify", "lose", "dispute")
            },
        },
        "objection_tags": {"type": "array", "items": CODED, "minItems": 1},
        "visit": {
            "type": "object",
            "required": ["name", "minutes", "words"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 60},
                "minutes": {"type": "integer", "minimum": 5, "maximum": 600},
                "words": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
            },
        },
        "visit_form": {
            "type": "object",
            "required": ["title", "fields"],
            "additionalProperties": False,
            "properties": {"title": TEXT, "fields": {"type": "array", "items": FIELD, "minItems": 1}},
        },
        "sla": {
            "type": "object",
            "required": ["warn_minutes", "breach_minutes", "acceptance_window_minutes"],
            "additionalProperties": False,
            "properties": {
                name: {"type": "integer", "minimum": 1}
                for name in ("warn_minutes", "breach_minutes", "acceptance_window_minutes")
            },
        },
        "hours": {
            "type": "object",
            "required": ["qualification", "sales"],
            "additionalProperties": False,
            "properties": {"qualification": HOURS, "sales": HOURS},
        },
        "bonus_plans": {"type": "array", "items": PLAN},
        "demo": {
            "type": "object",
            "required": [
                "company_domain",
                "messages",
                "utm_campaigns",
                "competitors",
                "win_notes",
                "lost_notes",
                "dispute_comments",
                "quote",
                "reason_roles",
            ],
            "additionalProperties": False,
            "properties": {
                "company_domain": TEXT,
                "messages": {
                    "type": "object",
                    "required": ["target", "off_product", "unknown"],
                    "additionalProperties": False,
                    "properties": {"target": STRINGS, "off_product": STRINGS, "unknown": STRINGS},
                },
                "utm_campaigns": {
                    "type": "object",
                    "required": ["yandex_direct", "website"],
                    "additionalProperties": False,
                    "properties": {
                        "yandex_direct": STRINGS,
                        "website": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {
                                "type": "array",
                                "items": {"type": "string"},
                                "minItems": 2,
                                "maxItems": 2,
                            },
                        },
                    },
                },
                "competitors": STRINGS,
                "win_notes": STRINGS,
                "lost_notes": STRINGS,
                "dispute_comments": {"type": "object", "minProperties": 1, "additionalProperties": TEXT},
                "quote": {
                    "type": "object",
                    "required": ["median", "sigma", "min", "max"],
                    "additionalProperties": False,
                    "properties": {"median": MONEY, "sigma": MONEY, "min": MONEY, "max": MONEY},
                },
                "reason_roles": {
                    "type": "object",
                    "required": ["disqualify", "lose", "dispute", "objection"],
                    "additionalProperties": False,
                    "properties": dict.fromkeys(("disqualify", "lose", "dispute", "objection"), ROLE_MAP),
                },
            },
        },
    },
}

# The demo's stories (demo.funnel) speak in these roles; each preset maps them onto its own codes.
DEMO_ROLES = {
    "disqualify": {"modular", "unreachable", "no_budget", "not_in_region", "timeline", "no_need", "duplicate", "spam"},
    "lose": {"price", "competitor", "timing", "family_decision", "design", "refused_before_visit", "no_response"},
    "dispute": {"modular", "no_budget", "not_in_region", "no_need", "not_decision_maker", "wrong_contact"},
    "objection": {"price", "timing", "competitor", "family_decision", "design"},
}


class PresetError(ValueError):
    """A preset file that is not a valid preset: the message says where."""


def names():
    """The codes of the shipped presets, kitchens (the default) first."""
    found = sorted(path.stem for path in DATA.glob("*.json"))
    return sorted(found, key=lambda name: name != "kitchens")


def load(name: str) -> dict:
    """The validated preset `name` (a shipped one); PresetError when unknown or invalid."""
    if name not in names():
        raise PresetError(f"unknown preset {name!r}; known: {', '.join(names())}")
    return _load_file(DATA / f"{name}.json")


@cache
def _load_file(path: Path) -> dict:
    return validate(json.loads(path.read_text(encoding="utf-8")))


def validate(data: dict) -> dict:
    """`data` when it is a valid preset, else PresetError naming the first problem."""
    try:
        jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        raise PresetError(f"{where}: {error.message}") from None
    _check_references(data)
    return data


def _unique(items, key, where):
    seen = set()
    for item in items:
        if item[key] in seen:
            raise PresetError(f"{where}: duplicate code {item[key]!r}")
        seen.add(item[key])
    return seen


def _check_references(data):
    reasons = {kind: _unique(items, "code", f"reasons/{kind}") for kind, items in data["reasons"].items()}
    tags = _unique(data["objection_tags"], "code", "objection_tags")
    _unique(data["checklist"]["criteria"], "code", "checklist/criteria")
    _unique(data["visit_form"]["fields"], "code", "visit_form/fields")
    _unique(data["call_script"]["steps"], "code", "call_script/steps")
    for criterion in data["checklist"]["criteria"]:
        where = f"checklist/criteria/{criterion['code']}"
        reason = criterion["disqualify_reason"]
        if reason is not None and reason not in reasons["disqualify"]:
            raise PresetError(f"{where}: disqualify_reason {reason!r} is not among reasons/disqualify")
        if criterion["kind"] == "choice" and not any(o.get("passes") for o in criterion.get("options", [])):
            raise PresetError(f"{where}: a choice needs options and at least one that passes")
        _check_bounds(criterion, "min_value", "max_value", where)
        _check_bounds(criterion, "valid_min", "valid_max", where)
    for item in data["visit_form"]["fields"]:
        if item["kind"] == "choice" and not item.get("options"):
            raise PresetError(f"visit_form/fields/{item['code']}: a choice needs its options")
        _check_bounds(item, "min_value", "max_value", f"visit_form/fields/{item['code']}")
    if data["sla"]["breach_minutes"] < data["sla"]["warn_minutes"]:
        raise PresetError("sla: breach_minutes is before warn_minutes")
    for team, hours in data["hours"].items():
        if hours["closes"] <= hours["opens"]:
            raise PresetError(f"hours/{team}: closes before it opens")
    known = {**reasons, "objection": tags}
    for kind, mapping in data["demo"]["reason_roles"].items():
        missing = DEMO_ROLES[kind] - set(mapping)
        if missing:
            raise PresetError(f"demo/reason_roles/{kind}: no code for {', '.join(sorted(missing))}")
        for role, code in mapping.items():
            if code not in known[kind]:
                raise PresetError(f"demo/reason_roles/{kind}/{role}: {code!r} is not one of the preset's codes")
    for role in data["demo"]["dispute_comments"]:
        if role not in reasons["dispute"]:
            raise PresetError(f"demo/dispute_comments/{role}: not a dispute reason of the preset")


def _check_bounds(item, low, high, where):
    if item.get(low) is not None and item.get(high) is not None and item[low] > item[high]:
        raise PresetError(f"{where}: {high} is below {low}")
