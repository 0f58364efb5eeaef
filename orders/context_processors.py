from django.urls import reverse
from django.utils.translation import gettext

from . import navigation as nav_registry
from . import selectors
from .roles import user_departments, user_roles

NAV_ALERTS_AT_MOST = 99  # the badge counts this many open alerts at most


def navigation(request):
    """Navigation by role, the user's departments and their open alert count, on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = user_roles(user)
    # Labels are registered lazily translated (gettext_lazy): str() gives the active language's.
    items = [(str(item.label), reverse(item.url_name)) for item in nav_registry.items_for(roles)]
    if user.is_staff:
        items.append((gettext("Admin"), reverse("admin:index")))
    return {
        "nav_items": items,
        "nav_roles": sorted(str(role.label) for role in roles),
        "nav_departments": sorted(str(dept.label) for dept in user_departments(user)),
        "nav_alerts_url": reverse("orders:alert_list"),
        "nav_alert_count": _badge(selectors.alerts_open_count(user=user, at_most=NAV_ALERTS_AT_MOST) if roles else 0),
    }


def _badge(count: int) -> str:
    """The alert badge: the number, "99+" beyond 99 (the alert list pages through them all)."""
    if not count:
        return ""
    return f"{NAV_ALERTS_AT_MOST}+" if count > NAV_ALERTS_AT_MOST else str(count)
