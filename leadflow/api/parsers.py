"""Request parsers of the machine API.

`StrictJSONParser` refuses (400) what Python's json module accepts but nothing downstream can hold:
a lone surrogate escape ("\\ud800") cannot be encoded to UTF-8, so the database could not store it and
the error message echoing it could not be rendered (it was a 500); nesting deep enough to exhaust the
recursion limit raised RecursionError instead of a parse error. A delivery is a flat object, so more
than MAX_DEPTH levels is refused too (the raw payload is stored, and walked recursively).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

MAX_DEPTH = 20


def json_problem(data):
    """Why the parsed JSON cannot be accepted (a message), or None. Iterative: no recursion limit to hit."""
    stack = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return _("JSON parse error - a \\u escape is a lone surrogate, not a character.")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return _("JSON parse error - the document is nested too deeply.")
            items = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in items)
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's JSONParser, reading the body at once instead of through a codecs stream reader (the same
        # decoding, the same messages; a third of the parser's time on a delivery)
        try:
            text = stream.read().decode(get_encoding(parser_context or {}))
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        problem = json_problem(data)
        if problem is not None:
            raise ParseError(problem)
        return data
