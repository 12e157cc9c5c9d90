"""In-app notifications (idempotent by `dedupe_key`), with an e-mail after commit when asked."""

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ..models import (
    Notification,
)

log = logging.getLogger("leadflow.services")


def notification_send(
    *, recipient, kind, text, lead=None, url="", dedupe_key="", email=False, email_body="", email_html=""
):
    """An in-app notification (idempotent by `dedupe_key`), plus an e-mail after commit if asked.

    The e-mail's body is the text and the link unless `email_body` (plain) / `email_html` are given."""
    if recipient is None or not recipient.is_active:
        return None
    if dedupe_key:
        notification, created = Notification.objects.get_or_create(
            recipient=recipient,
            dedupe_key=dedupe_key,
            defaults={"kind": kind, "text": text[:500], "lead": lead, "url": url},
        )
        if not created:
            return notification
    else:
        notification = Notification.objects.create(recipient=recipient, kind=kind, text=text[:500], lead=lead, url=url)
    if email and recipient.email:
        address, subject, body = recipient.email, text[:120], email_body or f"{text}\n\n{url}"
        transaction.on_commit(lambda: _send_mail_quietly(subject, body, address, html=email_html or None))
    return notification


def _send_mail_quietly(subject, body, address, html=None):
    try:
        send_mail(subject, body, None, [address], html_message=html)
    except Exception:  # a mail outage must not break the request that already committed
        log.exception("could not e-mail %s", address)


def notifications_mark_read(*, recipient, ids=None):
    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
