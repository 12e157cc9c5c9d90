from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("requests/", views.requests_page, name="requests"),
    path("requests/export/", views.export, name="export"),
    path("requests/erase/", views.erase, name="erase"),
]
