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
    path("sources/", views.sources, name="sources"),
    path("sources/import/", views.spend_import, name="spend-import"),
    path("pilot/", views.pilot, name="pilot"),
    path("criteria/", views.criteria, name="criteria"),
    path("criteria/promote/", views.criteria_promote, name="criteria-promote"),
    path("leads/", views.leads, name="leads"),
    path("my/", views.my_stats, name="my"),
    path("my/leads/", views.my_leads, name="my-leads"),
    path("staffing/", views.staffing, name="staffing"),
    path("staffing/apply/", views.staffing_apply, name="staffing-apply"),
    path("staffing/roster/", views.staffing_roster, name="staffing-roster"),
    path("staffing/roster/<int:pk>/delete/", views.staffing_shift_delete, name="staffing-shift-delete"),
    path("staffing/backtest/", views.staffing_backtest, name="staffing-backtest"),
    path("exports-log/", views.exports_log, name="exports-log"),
]
