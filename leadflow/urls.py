from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import views
from .privacy import views as privacy_views

urlpatterns = [
    # the machine API first: every lead and call arrives here, and each pattern tried before a match costs
    # Django a failed match (an include that fails builds its list of tried patterns): ~0.1 ms per request
    path("api/v1/", include("leadflow.api.urls")),
    path("api/v1/", include("qualification.api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/", include("leadflow.two_factor.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("intake/", views.intake_form, name="intake"),
    path("privacy/", privacy_views.policy, name="privacy-policy"),
    path("privacy/", include("leadflow.privacy.urls")),
    path("search/", views.search, name="search"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_mark_read, name="notifications-read"),
    path("queue/", include("qualification.urls")),
    path("board/", include("sales.urls")),
    path("reports/", include("reports.urls")),
    path("setup/", include("presets.urls")),  # the first-run wizard (business preset, teams, hours)
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
