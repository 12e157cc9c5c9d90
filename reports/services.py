"""Writes of the reports app: the export log."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

from .models import ExportLog


def _ip_or_none(ip):
    try:
        validate_ipv46_address(ip or "")
    except ValidationError:
        return None
    return ip


def export_record(*, actor, what, fmt, rows, contains_contacts, filters="", ip=None):
    """One row of the export log: one INSERT, whatever the size of the export."""
    return ExportLog.objects.create(
        actor=actor,
        what=str(what)[:120],
        filters=str(filters)[:500],
        fmt=fmt,
        rows=rows,
        contains_contacts=contains_contacts,
        ip=_ip_or_none(ip),
    )
