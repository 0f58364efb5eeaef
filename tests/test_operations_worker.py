"""The request id reaches the real Celery worker, directly and through the outbox relay; the worker
exposes its task metrics. A real `celery worker` process on the test database and Redis."""

import json
import os
import socket
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from omc.celery import app as celery_app
from orders import services
from orders.models import OutboxMessage
from orders.roles import Role
from orders.states import OrderStatus

from .test_worker import _test_database_url, _wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def json_worker(db, tmp_path):
    """A worker logging JSON lines to a file, with its metrics on a port."""
    celery_app.control.purge()
    log_path = tmp_path / "worker.log"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omc.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_FORMAT": "json",
        "WORKER_METRICS_PORT": str(port),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "omc",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--hostname=omc-ops-test@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        celery_app.conf.task_always_eager = False
        try:
            assert _wait_for(lambda: bool(celery_app.control.ping(timeout=0.5)), seconds=30), "worker did not start"
            worker.log_path = log_path
            worker.metrics_port = port
            yield worker
        finally:
            celery_app.conf.task_always_eager = True
            worker.terminate()
            worker.wait(timeout=20)


def _records(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # Celery's banner is not JSON
    return records


def _task_logged(path: Path, *, request_id: str, task: str) -> bool:
    """The worker logged the task's start under the request's id."""
    return any(
        r.get("event") == "task_started" and r.get("task") == task and r.get("request_id") == request_id
        for r in _records(path)
    )


def test_a_request_id_reaches_the_task_it_causes(json_worker, client, user_with, order_in):
    order = order_in(OrderStatus.DRAFT)
    client.force_login(user_with(Role.SALES_REP))
    response = client.post(f"/orders/{order.pk}/actions/submit/", HTTP_X_REQUEST_ID="abc")
    assert response.status_code == 302 and response.headers["X-Request-ID"] == "abc"
    message = OutboxMessage.objects.filter(order=order, topic="handoff.opened").get()
    assert _wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).processed_at is not None)
    assert _wait_for(lambda: _task_logged(json_worker.log_path, request_id="abc", task="orders.tasks.outbox_deliver"))
    started = [
        r
        for r in _records(json_worker.log_path)
        if r.get("event") == "task_started" and r.get("task") == "orders.tasks.outbox_deliver"
    ]
    assert started and all(r["request_id"] == "abc" for r in started)
    assert all(r.get("task_id") for r in started)  # every line of the task also carries its task id


def test_the_relay_publishes_with_the_request_id_of_the_row(json_worker, order_in):
    message = OutboxMessage.objects.create(
        topic="handoff.opened",
        order=order_in(OrderStatus.ENTERED),
        payload={"handoff_id": 0},
        created_at=timezone.now() - timedelta(minutes=5),
        request_id="relay-abc",
    )
    assert services.outbox_relay() == 1  # published from here, outside any request
    assert _wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).processed_at is not None)
    assert _wait_for(
        lambda: _task_logged(json_worker.log_path, request_id="relay-abc", task="orders.tasks.outbox_deliver")
    )


def test_the_worker_exposes_task_metrics(json_worker, order_in):
    message = OutboxMessage.objects.create(
        topic="handoff.opened",
        order=order_in(OrderStatus.ENTERED),
        payload={"handoff_id": 0},
        created_at=timezone.now(),
    )
    services.outbox_dispatch(message_ids=[message.pk])
    assert _wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).processed_at is not None)

    def scraped() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{json_worker.metrics_port}/metrics", timeout=2) as response:
            return response.read().decode()

    assert _wait_for(
        lambda: 'omc_task_duration_seconds_count{state="SUCCESS",task="orders.tasks.outbox_deliver"} 1.0' in scraped()
    )
