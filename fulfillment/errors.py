from orders.errors import DomainError


class ShipmentStateError(DomainError):
    """The shipment is not in a state that allows this step (HTTP 409)."""

    code = "invalid_shipment_state"
    http_status = 409
