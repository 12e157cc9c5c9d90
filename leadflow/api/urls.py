from django.urls import path

from . import views

urlpatterns = [
    path("leads/", views.LeadIntakeView.as_view(), name="api-leads"),
]
