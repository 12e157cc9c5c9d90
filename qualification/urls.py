from django.urls import path

from . import sla_views, views

app_name = "qualification"

urlpatterns = [
    path("", views.index, name="index"),
    path("sla/", sla_views.sla_panel, name="sla-panel"),
]
