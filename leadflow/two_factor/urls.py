from django.urls import path

from . import views

app_name = "two_factor"
urlpatterns = [
    path("", views.setup, name="setup"),
    path("start/", views.start, name="start"),
    path("confirm/", views.confirm, name="confirm"),
    path("disable/", views.disable, name="disable"),
    path("policy/", views.policy, name="policy"),
    path("verify/", views.verify, name="verify"),
]
