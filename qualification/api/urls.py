"""Machine endpoints of the qualification app (telephony webhook), mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("calls/", views.CallEventView.as_view(), name="api-calls"),
]
