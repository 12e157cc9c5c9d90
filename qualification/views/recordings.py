"""A call's recording, streamed from the storage only to whoever may see its lead (never a public
URL). Answers a single byte range (206) so the browser's <audio> can seek."""

import re

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from leadflow import access

from ..models import CallRecording

RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header, size):
    """(start, end) inclusive of one `Range: bytes=…` header; None to send it all; ValueError if unsatisfiable."""
    match = RANGE.fullmatch(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        return None  # absent, several ranges or malformed: the whole file (RFC 9110 allows ignoring Range)
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1  # the last N bytes
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ValueError(header)
    return start, end


@require_GET
def recording(request, pk):
    if not request.user.is_authenticated:
        raise Http404  # a recording's address tells an anonymous visitor nothing, not even that it exists
    record = get_object_or_404(CallRecording.objects.select_related("attempt__lead"), pk=pk)
    access.ensure_may_hear_calls(lead=record.attempt.lead, actor=request.user)
    if not record.playable:
        raise Http404
    try:
        handle = record.file.storage.open(record.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    size = record.size_bytes
    try:
        wanted = _byte_range(request.headers.get("Range", ""), size)
    except ValueError:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response = FileResponse(handle, content_type=record.content_type)
    else:
        start, end = wanted
        with handle:
            handle.seek(start)
            response = HttpResponse(handle.read(end - start + 1), status=206, content_type=record.content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response
