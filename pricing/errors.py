from orders.errors import DomainError


class PricingStateError(DomainError):
    """The order or approval is not in a state that allows this (HTTP 409)."""

    code = "invalid_pricing_state"
    http_status = 409
