"""In-app notifications (idempotent by `dedupe_key`), with an e-mail after commit when asked."""

import logging
from collections import defaultdict
from dataclasses import dataclass

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


@dataclass(frozen=True)
class NotificationDraft:
    """One notification for `notifications_send_many` (the arguments of `notification_send`)."""

    recipient: object
    kind: str
    text: str
    lead: object = None
    url: str = ""
    dedupe_key: str = ""
    email: bool = False


DIGEST_AFTER = 5  # more notifications of one kind for one person at once → one notification listing them


def notifications_send_many(*, drafts, digest=None, digest_after=DIGEST_AFTER):
    """Many notifications in two statements (read the dedupe keys, one INSERT), whatever their number.

    Same rules as `notification_send`: inactive recipients get nothing, a (recipient, dedupe key) that
    exists is not sent again, an e-mail goes after commit when asked. With `digest(kind, drafts)` →
    (text, url), a person who would get more than `digest_after` of one kind gets one notification
    instead, without a lead and without a dedupe key (its events are taken once by their callers' own
    state guards), e-mailed if any of them asked. Returns the notifications created.
    """
    groups = defaultdict(list)
    for draft in drafts:
        if draft.recipient is not None and draft.recipient.is_active:
            groups[(draft.recipient.pk, draft.kind)].append(draft)
    singles, digests = [], []
    for (_recipient, kind), group in groups.items():
        if digest is not None and len(group) > digest_after:
            text, url = digest(kind, group)
            email = any(d.email for d in group)
            digests.append(NotificationDraft(recipient=group[0].recipient, kind=kind, text=text, url=url, email=email))
        else:
            singles += group
    keyed = {(d.recipient.pk, d.dedupe_key) for d in singles if d.dedupe_key}
    taken = set()
    if keyed:
        taken = set(
            Notification.objects.filter(
                recipient_id__in={pk for pk, _key in keyed}, dedupe_key__in={key for _pk, key in keyed}
            ).values_list("recipient_id", "dedupe_key")
        )
    fresh = []
    for draft in singles + digests:
        key = (draft.recipient.pk, draft.dedupe_key)
        if draft.dedupe_key and key in taken:
            continue
        taken.add(key)
        fresh.append(draft)
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient=d.recipient, kind=d.kind, text=d.text[:500], lead=d.lead, url=d.url, dedupe_key=d.dedupe_key
            )
            for d in fresh
        ]
    )
    for draft in fresh:
        if draft.email and draft.recipient.email:
            address, subject, body = draft.recipient.email, draft.text[:120], f"{draft.text}\n\n{draft.url}"
            transaction.on_commit(lambda a=address, s=subject, b=body: _send_mail_quietly(s, b, a))
    return created


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
