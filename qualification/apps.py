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
