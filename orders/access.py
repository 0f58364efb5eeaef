"""Role checks for pages (the API uses orders.api_support.RolePermission)."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .roles import ALL_ROLES, user_has_role


def role_required(roles=ALL_ROLES):
    """Let the view run only for users holding one of `roles` (login is enforced by middleware)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not user_has_role(request.user, roles):
                raise PermissionDenied(_("Your role does not give access to this page."))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
