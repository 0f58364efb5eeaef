"""Scheduling's domain errors (the API maps them to HTTP, pages to messages)."""

from orders.errors import DomainError


class JobChanged(DomainError):
    """Someone else changed the job since the caller loaded it (optimistic concurrency)."""

    code = "job_changed"
    http_status = 409


class JobStateError(DomainError):
    """The job is not in a state that allows this step (e.g. moving a started job)."""

    code = "invalid_job_state"
    http_status = 409


class CapacityExceeded(DomainError):
    """The work center has no free hours for this on the chosen day."""

    code = "capacity_exceeded"
    http_status = 400
