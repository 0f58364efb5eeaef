"""Domain errors: a business rule said no. The API maps them to HTTP codes, pages to messages."""


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, field_errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidTransition(DomainError):
    """The move is not allowed from the order's current status."""

    code = "invalid_transition"
    http_status = 409

    def __init__(self, message: str, *, allowed_actions: list[str]):
        super().__init__(message)
        self.allowed_actions = allowed_actions


class ActionNotPermitted(DomainError):
    """The actor holds no role that may make this move."""

    code = "permission_denied"
    http_status = 403


class UnknownAction(DomainError):
    code = "unknown_action"
    http_status = 404


class GuardFailed(DomainError):
    """A business guard failed in a way the caller can fix (missing reason, unpriced lines...)."""

    code = "guard_failed"
    http_status = 400


class ValidationFailed(DomainError):
    code = "invalid"
    http_status = 400
