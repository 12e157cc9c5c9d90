from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("funnel/", views.funnel, name="funnel"),
    path("speed/", views.speed, name="speed"),
    path("handoff/", views.handoff, name="handoff"),
    path("reviews/", views.reviews, name="reviews"),
    path("disqualified/", views.disqualified, name="disqualified"),
    path("sales/", views.sales, name="sales"),
    path("economics/", views.economics, name="economics"),
    path("pilot/", views.pilot, name="pilot"),
    path("leads/", views.leads, name="leads"),
    path("my/", views.my_stats, name="my"),
    path("my/leads/", views.my_leads, name="my-leads"),
    path("exports-log/", views.exports_log, name="exports-log"),
]
