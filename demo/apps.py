from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo company generator (`manage.py seed_demo`): above every app, may import all of them."""

    name = "demo"
    verbose_name = _("Demo data")
