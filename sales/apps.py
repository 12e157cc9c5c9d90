from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from .personal_data import register as register_personal_data
        from .reviews import register as register_review_sources

        register_personal_data()  # what leadflow.privacy exports and anonymises (152-ФЗ)
        register_review_sources()  # upheld disputes' hand-off calls join the qualification lead's call reviews
