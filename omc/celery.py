import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omc.settings.local")

app = Celery("omc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="omc.noop")
def noop() -> None:
    """Does nothing: the benchmark's ceiling for draining tasks through Redis and a worker."""
