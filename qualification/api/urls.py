"""Machine endpoints of the qualification app (telephony webhook, PBX notifications), mounted under /api/v1/."""

from django.urls import path

from . import pbx, views

urlpatterns = [
    path("calls/", views.CallEventView.as_view(), name="api-calls"),
    path("pbx/mango/<int:account_id>/events/<str:kind>", pbx.MangoEventView.as_view(), name="api-pbx-mango"),
    path("pbx/zadarma/<int:account_id>/", pbx.ZadarmaEventView.as_view(), name="api-pbx-zadarma"),
]
