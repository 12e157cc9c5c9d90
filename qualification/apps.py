from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualificationConfig(AppConfig):
    name = "qualification"
    verbose_name = _("Qualification")

    def ready(self):
        from leadflow.models import Lead
        from leadflow.signals import lead_received

        from . import tasks  # noqa: F401  registers the Celery tasks in every process (the SLA publishes by name)
        from .personal_data import register as register_personal_data
        from .sla import on_lead_received

        # after the intake commit: schedule the lead's SLA checks (the core never imports this app)
        lead_received.connect(on_lead_received, sender=Lead, dispatch_uid="qualification.sla.schedule")
        register_personal_data()  # what leadflow.privacy exports and anonymises (152-ФЗ)
        _connect_hotcache()


def _connect_hotcache():
    """A save or delete of what the lead card caches (qualification.selectors: the checklist, the call
    script, the reasons, whether a PBX is connected) clears this process's cache at once
    (leadflow.hotcache); other processes see the change within HOT_CACHE_SECONDS."""
    from django.db.models.signals import post_delete, post_save

    from leadflow.models import PbxAccount, Reason

    from .models import CallScript, Checklist, Criterion

    for model in (Checklist, Criterion, CallScript, Reason, PbxAccount):
        for signal in (post_save, post_delete):
            signal.connect(_clear_hotcache, sender=model, dispatch_uid=f"hotcache-card-{model.__name__}-{signal}")


def _clear_hotcache(**kwargs):
    """Now, and again at the commit: a card rendered meanwhile in this process read the old rows."""
    from django.db import transaction

    from leadflow import hotcache

    hotcache.clear()
    transaction.on_commit(hotcache.clear)
