from django.urls import path

from . import sla_views, views

app_name = "qualification"

urlpatterns = [
    path("", views.index, name="index"),
    path("next/", views.lead_next, name="next"),
    path("sla/", sla_views.sla_panel, name="sla-panel"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("<int:lead_id>/", views.lead_detail, name="lead"),
    path("<int:lead_id>/claim/", views.lead_claim, name="claim"),
    path("<int:lead_id>/calls/", views.call_log, name="call-log"),
    path("<int:lead_id>/checklist/", views.checklist_save, name="checklist"),
    path("<int:lead_id>/qualify/", views.lead_qualify, name="qualify"),
    path("<int:lead_id>/hand-off/", views.lead_send_to_sales, name="hand-off"),
    path("<int:lead_id>/disqualify/", views.lead_disqualify, name="disqualify"),
    path("<int:lead_id>/release/", views.lead_release, name="release"),
    path("<int:lead_id>/reassign/", views.lead_reassign, name="reassign"),
]
