"""The one outbound HTTP client of the adapters: urllib, short timeouts, retries only where safe.

A command that makes the PBX ring a phone is never retried (a lost answer does not mean the call was
not placed: a retry could ring the client twice). Reads (a recording) are retried on a network error
or a 5xx."""

import logging
import time
import urllib.error
import urllib.parse
import urllib.request

from django.utils.translation import gettext as _

from .base import PbxError

log = logging.getLogger("leadflow.telephony")
TIMEOUT_SECONDS = 5
READ_RETRIES = 3
RETRY_PAUSE_SECONDS = 0.5


def request(method, url, *, data=None, headers=None, timeout=TIMEOUT_SECONDS, retries=0):
    """(status, body bytes, headers). `data`: a dict (form-encoded) or bytes."""
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    attempt = 0
    while True:
        attempt += 1
        req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 (configured https URL)
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 and attempt <= retries:
                log.warning("PBX %s %s answered %s, retrying", method, url, exc.code)
            else:
                raise PbxError(
                    _("The PBX answered %(status)s.") % {"status": exc.code}, retryable=exc.code >= 500
                ) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt > retries:
                raise PbxError(_("The PBX cannot be reached."), retryable=True) from exc
            log.warning("PBX %s %s unreachable (%s), retrying", method, url, exc)
        time.sleep(RETRY_PAUSE_SECONDS * attempt)
