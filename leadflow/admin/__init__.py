"""Admin of the pipeline core: configuration (teams, sources, reasons, tokens, people) and a read view of leads.

Leads are never deleted and their status is protected: it changes only through the services, so here
it is read-only; the history (django-fsm-log rows) is append-only and shown on the lead's page.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import leads, people, reference, third_party  # noqa: F401  (each registers its admins)

admin.site.site_header = _("Leadflow administration")
admin.site.site_title = "Leadflow"
admin.site.index_title = _("Configuration and data")
