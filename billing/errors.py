from orders.errors import DomainError


class InvoiceStateError(DomainError):
    """The invoice is not in a state that allows this (HTTP 409)."""

    code = "invalid_invoice_state"
    http_status = 409
