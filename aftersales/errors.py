from orders.errors import DomainError


class ServiceStateError(DomainError):
    """The ticket or visit is not in a state that allows this (HTTP 409)."""

    code = "invalid_service_state"
    http_status = 409
