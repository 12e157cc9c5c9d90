"""The admin shows a person only the rows they may see in the app (leadflow.access).

Every ModelAdmin of the site carries `ScopedAdmin` and names its `row_scope`: a function of the user
that gives a filter over the model. The changelist, every object page (an object out of scope is "not
found"), the raw-id and autocomplete pickers all read through `get_queryset`, so one filter covers them.
tests/security/test_admin_matrix.py fails for a registered model whose admin names no scope.

`DirectorOnlyAdmin`: credentials, the security log, login attempts, second-factor devices: the
director and superusers only, whatever model permissions a staff member has been given.
"""

from . import access


class ScopedAdmin:
    row_scope = None  # staticmethod(user -> Q); required

    def get_queryset(self, request):
        if self.row_scope is None:
            raise NotImplementedError(f"{type(self).__name__} names no row_scope (leadflow/admin_scope.py)")
        return super().get_queryset(request).filter(self.row_scope(request.user))


class DirectorOnlyAdmin(ScopedAdmin):
    row_scope = staticmethod(access.director_only_scope)

    def has_module_permission(self, request):
        return access.is_director(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return access.is_director(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return access.is_director(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return access.is_director(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return access.is_director(request.user) and super().has_delete_permission(request, obj)


def lead_rows(prefix=""):
    """The scope of a model that hangs off a lead (`prefix` reaches it, e.g. "lead__")."""
    return staticmethod(lambda user: access.leads_scope(user, prefix=prefix))


def team_rows(field="pk"):
    return staticmethod(lambda user: access.teams_scope(user, field=field))


def everyone_rows():
    return staticmethod(access.everyone_scope)
