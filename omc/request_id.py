"""The request id: taken from X-Request-ID (or made up), logged on every line, returned to the
caller and carried into the Celery tasks the request causes.

django-structlog's RequestMiddleware binds the id into structlog's contextvars and its Celery
receivers copy it into task headers and bind it in the worker; this middleware runs before it
so that only a well-formed id is trusted, and echoes the id back in the response. Outbox rows
store the id too (orders.services.outbox_enqueue), so a task re-published later by the relay
still carries the request that caused it.
"""

import logging
import re
import uuid

import structlog

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# Load balancers send UUIDs or similar tokens; anything else would let a caller forge log lines.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_clean(value: str | None) -> str:
    """The caller's id when it is a plain token, else a new UUID."""
    if value and _VALID.match(value):
        return value
    return str(uuid.uuid4())


def current_request_id() -> str:
    """The id of the request (or of the request that caused the running task), or ""."""
    return structlog.contextvars.get_contextvars().get("request_id", "")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_clean(request.META.get(META_KEY))
        request.META[META_KEY] = request_id
        request.id = request_id
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` ("-" outside a request) so formatters and handlers can show it."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True
