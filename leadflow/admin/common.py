"""What the admin classes of the pipeline core share."""

from django.contrib.auth import get_user_model

User = get_user_model()

User = get_user_model()


class ReadOnlyAdminMixin:
    """View-only in the admin: these rows are records of what happened."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
