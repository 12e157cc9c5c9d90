"""The export log as the director reads it, newest first (one query per page, the actor joined)."""

from ..models import ExportLog


def export_log():
    return ExportLog.objects.select_related("actor").order_by("-at", "-pk")
