from django.urls import path

from . import views

app_name = "qualification"

urlpatterns = [
    path("", views.index, name="index"),
]
