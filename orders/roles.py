"""Roles (one Django group each) and the departments they work in."""

from django.db import models
from django.utils.translation import gettext_lazy


class Department(models.TextChoices):
    SALES = "sales", gettext_lazy("Sales")
    MARKETING = "marketing", gettext_lazy("Marketing")
    ENGINEERING = "engineering", gettext_lazy("Engineering / Finance estimating")
    CUSTOMER_SERVICE = "customer_service", gettext_lazy("Customer service")
    MANAGEMENT = "management", gettext_lazy("Senior management")
    OPERATIONS = "operations", gettext_lazy("Operations")
    LOGISTICS = "logistics", gettext_lazy("Logistics")
    FINANCE = "finance", gettext_lazy("Finance")
    SERVICE = "service", gettext_lazy("Service")


class Role(models.TextChoices):
    SALES_REP = "sales_rep", gettext_lazy("Sales rep")
    DEMAND_PLANNER = "demand_planner", gettext_lazy("Demand planner")
    ESTIMATOR = "estimator", gettext_lazy("Estimator")
    CUSTOMER_SERVICE = "customer_service", gettext_lazy("Customer service")
    REVIEW_BOARD = "review_board", gettext_lazy("Order review board")
    SCHEDULER = "scheduler", gettext_lazy("Production scheduler")
    WAREHOUSE = "warehouse", gettext_lazy("Warehouse")
    FINANCE = "finance", gettext_lazy("Finance")
    FIELD_SERVICE = "field_service", gettext_lazy("Field service")
    EXECUTIVE = "executive", gettext_lazy("Executive")


ROLE_DEPARTMENT = {
    Role.SALES_REP: Department.SALES,
    Role.DEMAND_PLANNER: Department.MARKETING,
    Role.ESTIMATOR: Department.ENGINEERING,
    Role.CUSTOMER_SERVICE: Department.CUSTOMER_SERVICE,
    Role.REVIEW_BOARD: Department.MANAGEMENT,
    Role.SCHEDULER: Department.OPERATIONS,
    Role.WAREHOUSE: Department.LOGISTICS,
    Role.FINANCE: Department.FINANCE,
    Role.FIELD_SERVICE: Department.SERVICE,
    Role.EXECUTIVE: Department.MANAGEMENT,
}

ALL_ROLES = frozenset(Role)
# Who may create and edit master data (customers, products) and draft orders.
CUSTOMER_EDITORS = frozenset({Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.FINANCE})
PRODUCT_EDITORS = frozenset({Role.ESTIMATOR})
ORDER_CREATORS = frozenset({Role.SALES_REP, Role.CUSTOMER_SERVICE})


def user_roles(user) -> frozenset[Role]:
    """The roles a user holds, from their groups; cached on the user object."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_omc_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._omc_roles = cached
    return cached


def user_has_role(user, roles) -> bool:
    return bool(user_roles(user) & set(roles))


def user_departments(user) -> frozenset[Department]:
    return frozenset(ROLE_DEPARTMENT[role] for role in user_roles(user))


# --- customer contacts (the portal) ---------------------------------------------------------
# A customer's own people log in to the customer portal. Their group is deliberately not a
# `Role`: internal roles see the company's work, a contact sees only its own company's orders,
# so every internal page and endpoint (which checks `Role`s) refuses them. The portal app links
# each contact to exactly one customer.
CUSTOMER_GROUP = "customer"


def user_is_customer_contact(user) -> bool:
    """Whether the user logs in as a customer contact (the portal's group); cached on the user."""
    if not user or not user.is_authenticated:
        return False
    cached = getattr(user, "_omc_is_customer", None)
    if cached is None:
        cached = user.groups.filter(name=CUSTOMER_GROUP).exists()
        user._omc_is_customer = cached
    return cached
