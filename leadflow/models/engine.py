"""Liveness of the background engines: the last run of the SLA sweep, where every process sees it."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SLA_ENGINE = "sla-engine"


class EngineHeartbeat(models.Model):
    """One row per engine. The beat's sweep task sets `beat_at` with one UPDATE at the end of each run.

    In the database, not the cache: in the embedded default the cache is per process (locmem), and
    the web process must see what the worker did. `watched_since` is when we started expecting beats
    (install, migration): an engine that never ran is stale once that is older than the threshold.
    """

    name = models.CharField(_("engine"), max_length=50, unique=True)
    watched_since = models.DateTimeField(_("watched since"), default=timezone.now)
    beat_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        verbose_name = _("engine heartbeat")
        verbose_name_plural = _("engine heartbeats")

    def __str__(self):
        return self.name
