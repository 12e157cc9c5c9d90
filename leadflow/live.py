"""The one way a live page refreshes itself (docs/architecture.md, "Live pages").

A live page's part polls the page's own URL with htmx (`hx-get` on the part, `hx-swap="outerHTML"`).
The view answers a poll with the part alone (its `_*.html` template), or with 204 — nothing to swap —
when the part sends the signature of what it shows (`sig`) and nothing has changed since.
"""

from django.http import HttpResponse


def is_poll(request):
    return request.headers.get("HX-Request") == "true"


def unchanged(request, signature):
    """A 204 answer when this poll's part already shows `signature`, else None."""
    if is_poll(request) and signature is not None and request.GET.get("sig") == signature:
        return HttpResponse(status=204)
    return None
