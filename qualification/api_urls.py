"""Machine endpoints of the qualification app (telephony webhook), mounted under /api/v1/."""

urlpatterns = []
