from django.urls import path

from .views import calls, recordings, reviews, sla, workspace

app_name = "qualification"

urlpatterns = [
    path("", workspace.index, name="index"),
    path("next/", workspace.lead_next, name="next"),
    path("sla/", sla.sla_panel, name="sla-panel"),
    path("handoffs/", workspace.handoffs, name="handoffs"),
    path("recordings/<int:pk>/", recordings.recording, name="recording"),
    path("reviews/", reviews.reviews, name="reviews"),
    path("reviews/done/", reviews.reviews_done, name="reviews-done"),
    path("reviews/draw/", reviews.review_draw, name="review-draw"),
    path("reviews/mine/", reviews.my_reviews, name="my-reviews"),
    path("reviews/<int:pk>/", reviews.review, name="review"),
    path("reviews/<int:pk>/acknowledge/", reviews.review_acknowledge, name="review-acknowledge"),
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
