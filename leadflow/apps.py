from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadflowConfig(AppConfig):
    name = "leadflow"
    verbose_name = _("Pipeline")

    def ready(self):
        from . import db

        db.install()  # the percentile aggregate on SQLite connections
        _connect_hotcache()


def _connect_hotcache():
    """A save or delete of what intake caches clears this process's cache at once (leadflow.hotcache)."""
    from django.db.models.signals import post_delete, post_save

    from . import hotcache
    from .models import ApiToken, Source, Team, WorkingHours

    for model in (ApiToken, Source, Team, WorkingHours):
        for signal in (post_save, post_delete):
            signal.connect(hotcache.clear, sender=model, dispatch_uid=f"hotcache-{model.__name__}-{signal}")
