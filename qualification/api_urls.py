"""Machine endpoints of the qualification app (telephony webhook), mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("calls/", api.CallEventView.as_view(), name="api-calls"),
]
