"""A request id on every request, echoed in the response and put on every log record.

Kept in this one module on purpose: the structured-logging work carries the same id into
Celery tasks; both read it from `current_request_id()`.
"""

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
# A caller's id is kept only if it is short and plain, so it can't forge log lines.
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("omc_request_id", default="")


def current_request_id() -> str:
    """The id of the request being served ("" outside a request)."""
    return _current.get()


class RequestIdMiddleware:
    """Sets `request.id` from X-Request-ID (when acceptable) or a new uuid4, and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request.id = incoming if _ACCEPTED.match(incoming) else uuid.uuid4().hex
        token = _current.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` ("-" outside a request) so formatters and handlers can show it."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or "-"
        return True
