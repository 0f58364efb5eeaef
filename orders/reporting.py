"""Reporting reads: the one switch that sends a read to the read replica.

Reporting pages and exports run their selectors inside `reporting()` (or are decorated with
`@reporting_view`); `omc.db_router.ReportingRouter` then sends their reads to the database
named by `settings.OMC_REPORTING_DATABASE` ("replica" when REPLICA_DATABASE_URL is set,
"default" otherwise). Writes always go to the primary, whatever the flag says.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

_reporting: ContextVar[bool] = ContextVar("omc_reporting", default=False)


def reporting_active() -> bool:
    return _reporting.get()


@contextmanager
def reporting():
    """Reads inside this block are reporting reads (they may be a little behind the primary)."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reporting_view(view):
    """Run a page or API view's reads as reporting reads (use only on views that do not write)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with reporting():
            return view(*args, **kwargs)

    return wrapper


def reporting_connection():
    """The connection for a raw SQL read: the reporting database inside `reporting()`, else the primary."""
    from django.conf import settings
    from django.db import connections

    alias = getattr(settings, "OMC_REPORTING_DATABASE", "default") if reporting_active() else "default"
    return connections[alias]
