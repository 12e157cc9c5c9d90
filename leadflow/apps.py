from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadflowConfig(AppConfig):
    name = "leadflow"
    verbose_name = _("Pipeline")

    def ready(self):
        from . import db

        db.install()  # the percentile aggregate on SQLite connections
