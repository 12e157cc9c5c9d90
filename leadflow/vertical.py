"""The installation's vertical, read through one helper: the visit's name and length, and the words of
the Russian interface that follow it ("замер" → "приём" in a clinic).

`current()` costs no query on a warm process: the row is kept in Django's cache (no expiry; written
again by `vertical_set`, which is the only writer) under a 5-second per-process layer (leadflow.hotcache).

The interface's words: every Russian msgstr mentioning the kitchen visit ("Назначить замер", "до замера")
is rewritten once per process and vocabulary in the loaded catalog (`vocabulary_activate`, called by
the middleware for each request), with the forms the preset lists, longest phrase first and the
capital letter kept. The msgids stay English and the .po file stays the kitchen one: a vertical is data,
not a fork of the translations.
"""

import re
import threading
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import translation
from django.utils.translation import trans_real

from . import hotcache

CACHE_KEY = "leadflow:vertical:v1"


@dataclass(frozen=True)
class Profile:
    code: str = "kitchens"
    title: str = "Кухни на заказ"
    visit_name: str = "Замер"
    visit_minutes: int = 90
    words: dict = field(default_factory=dict)
    asks_product_interest: bool = True

    def as_dict(self):
        return {
            "code": self.code,
            "title": self.title,
            "visit_name": self.visit_name,
            "visit_minutes": self.visit_minutes,
            "words": dict(self.words),
            "asks_product_interest": self.asks_product_interest,
        }


DEFAULT = Profile()


def current() -> Profile:
    """The installation's profile (the kitchen default when none was applied)."""
    return hotcache.get_or_load("vertical", _shared)


def visit_name() -> str:
    return current().visit_name


def visit_minutes() -> int:
    return current().visit_minutes


def _shared():
    data = cache.get(CACHE_KEY)
    if data is None:
        data = _from_db()
        cache.set(CACHE_KEY, data, None)
    return Profile(**data)


def _from_db():
    from .models import Vertical

    row = Vertical.objects.order_by("pk").first()
    if row is None:
        return DEFAULT.as_dict()
    return Profile(
        row.code, row.title, row.visit_name, row.visit_minutes, dict(row.words or {}), row.asks_product_interest
    ).as_dict()


def forget():
    """After the row changed (or a test database was reset): every process reads it again."""
    cache.delete(CACHE_KEY)
    hotcache.clear()


def prime(profile: Profile = DEFAULT):
    """Put `profile` in the shared cache (tests: a fresh database has no row, i.e. the default)."""
    cache.set(CACHE_KEY, profile.as_dict(), None)
    hotcache.clear()


# --- the interface's words -------------------------------------------------------------------------

_lock = threading.Lock()


def _replacer(words: dict):
    """A function rewriting a text with `words` (lower-case forms; a capitalised form follows)."""
    if not words:
        return None
    table = {}
    for old, new in words.items():
        table[old] = new
        table[old[:1].upper() + old[1:]] = new[:1].upper() + new[1:]
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(key) for key in keys) + r")(?!\w)")
    return lambda text: pattern.sub(lambda match: table[match.group(1)], text)


def rewrite(text: str, words: dict) -> str:
    """`text` with the vertical's words (for strings that never pass through the catalog)."""
    replace = _replacer(words)
    return replace(text) if replace else text


def vocabulary_activate(profile: Profile | None = None):
    """Make the active language's catalog speak the vertical's words (no-op when it already does)."""
    language = translation.get_language()
    if not language or not language.startswith("ru"):
        return
    profile = profile or current()
    catalog_owner = trans_real.translation(language)
    stamp = tuple(sorted(profile.words.items()))
    if getattr(catalog_owner, "_leadflow_words", ()) == stamp:
        return
    with _lock:
        catalog = catalog_owner._catalog
        originals = getattr(catalog_owner, "_leadflow_originals", None)
        if originals is None:
            originals = [dict(part) for part in catalog._catalogs]
            catalog_owner._leadflow_originals = originals
        replace = _replacer(profile.words)
        for index, original in enumerate(originals):
            if replace is None:
                catalog._catalogs[index] = dict(original)
                continue
            catalog._catalogs[index] = {
                key: replace(value) if isinstance(value, str) else value for key, value in original.items()
            }
        catalog_owner._leadflow_words = stamp


def vocabulary_stamp():
    """What the active language's catalog speaks now (changes when `vocabulary_activate` rewrites it):
    for caching a translated text by it."""
    language = translation.get_language()
    return language, getattr(trans_real.translation(language), "_leadflow_words", ()) if language else ()


class VerticalVocabularyMiddleware:
    """After LocaleMiddleware: the request's language speaks the installation's vertical."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The API's machine-facing answers (intake, webhooks, the OpenAPI document) name no visit, and
        # must not depend on reading the profile: a webhook is answered even before any page was shown.
        if not request.path_info.startswith(API_PREFIX):
            vocabulary_activate()
        return self.get_response(request)


API_PREFIX = "/api/"
