"""Shared API plumbing: pagination, role permissions and the domain-error handler."""

from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, InvalidTransition
from .roles import ALL_ROLES, user_has_role


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class RolePermission(BasePermission):
    """Reads need any OMC role (`read_roles`), writes need one of the view's `write_roles`."""

    message = gettext_lazy("Your role does not allow this.")

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return user_has_role(request.user, getattr(view, "read_roles", ALL_ROLES))
        return user_has_role(request.user, getattr(view, "write_roles", ()))


def exception_handler(exc, context):
    """Domain errors become JSON with their HTTP status: 409 for an illegal move (with the
    allowed actions), 403 for a role that may not act, 400 with field errors for a guard."""
    if isinstance(exc, DomainError):
        if exc.http_status == status.HTTP_403_FORBIDDEN:
            return drf_exception_handler(PermissionDenied(exc.message), context)
        body = {"code": exc.code, "detail": exc.message}
        if isinstance(exc, InvalidTransition):
            body["allowed_actions"] = exc.allowed_actions
        body.update(exc.field_errors)
        return Response(body, status=exc.http_status)
    return drf_exception_handler(exc, context)
