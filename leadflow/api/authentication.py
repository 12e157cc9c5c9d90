from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission


class IntakeTokenAuthentication(BaseAuthentication):  # replaced by the intake work
    def authenticate(self, request):
        return None


class HasIntakeToken(BasePermission):
    def has_permission(self, request, view):
        return False
