from django.urls import path

from .views import calls, recordings, sla, workspace

app_name = "qualification"

urlpatterns = [
    path("", workspace.index, name="index"),
    path("next/", workspace.lead_next, name="next"),
    path("sla/", sla.sla_panel, name="sla-panel"),
    path("handoffs/", workspace.handoffs, name="handoffs"),
    path("recordings/<int:pk>/", recordings.recording, name="recording"),
    path("<int:lead_id>/", workspace.lead_detail, name="lead"),
    path("<int:lead_id>/claim/", workspace.lead_claim, name="claim"),
    path("<int:lead_id>/calls/", workspace.call_log, name="call-log"),
    path("<int:lead_id>/call/", calls.call_place, name="call-place"),
    path("<int:lead_id>/call/live/", calls.call_live, name="call-live"),
    path("<int:lead_id>/checklist/", workspace.checklist_save, name="checklist"),
    path("<int:lead_id>/qualify/", workspace.lead_qualify, name="qualify"),
    path("<int:lead_id>/hand-off/", workspace.lead_send_to_sales, name="hand-off"),
    path("<int:lead_id>/disqualify/", workspace.lead_disqualify, name="disqualify"),
    path("<int:lead_id>/release/", workspace.lead_release, name="release"),
    path("<int:lead_id>/reassign/", workspace.lead_reassign, name="reassign"),
]
