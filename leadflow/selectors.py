"""Reads of the pipeline core."""

from .models import Inquiry


def delivery_first(*, source, external_id):
    """The inquiry that a `(source, external_id)` delivery first created (None without an external id)."""
    if not external_id:
        return None
    return Inquiry.objects.filter(source=source, external_id=external_id).order_by("pk").first()
