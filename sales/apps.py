from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from .personal_data import register as register_personal_data

        register_personal_data()  # what leadflow.privacy exports and anonymises (152-ФЗ)
