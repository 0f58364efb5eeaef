import os

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun, worker_ready
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omc.settings.local")

app = Celery("omc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Binds the publishing request's id (task headers) in the worker, so task logs carry it.
app.steps["worker"].add(DjangoStructLogInitStep)


# --- operations: task metrics and failed-task records (docs/operations.md) -----------------


@task_prerun.connect
def _task_prerun(task_id=None, task=None, **kwargs):
    from . import metrics

    metrics.task_started(task_id)


@task_postrun.connect
def _task_postrun(task_id=None, task=None, state=None, **kwargs):
    from . import metrics

    metrics.task_finished(task.name if task else "unknown", task_id, state)


@task_failure.connect
def _task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra):
    """A task failed for good: count it and keep it for the stuck-work page."""
    import json
    import logging

    from orders import services

    from . import metrics
    from .request_id import current_request_id

    name = getattr(sender, "name", "unknown")
    metrics.task_failed(name)
    try:
        services.task_failure_record(
            task_name=name,
            task_id=task_id or "",
            args=json.loads(json.dumps(list(args or []), default=str)),
            kwargs=json.loads(json.dumps(dict(kwargs or {}), default=str)),
            error=f"{type(exception).__name__}: {exception}",
            request_id=current_request_id(),
        )
    except Exception:  # noqa: BLE001 - recording a failure must never take the worker down
        logging.getLogger(__name__).exception("could not record the failure of task %s", task_id)


@worker_ready.connect
def _worker_metrics_server(**kwargs):
    """Worker hosts expose their task metrics on WORKER_METRICS_PORT for Prometheus."""
    port = os.environ.get("WORKER_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        from .metrics import process_registry

        start_http_server(int(port), registry=process_registry())


@app.task(name="omc.noop")
def noop() -> None:
    """Does nothing: the benchmark's ceiling for draining tasks through Redis and a worker."""
