from orders.errors import DomainError


class ReturnStateError(DomainError):
    """The RMA or claim is not in a state that allows this (HTTP 409)."""

    code = "invalid_return_state"
    http_status = 409


class OutsidePolicy(DomainError):
    """The return breaks the return policy (e.g. delivered too long ago)."""

    code = "outside_return_policy"
    http_status = 400
