"""End to end with a real Celery worker process consuming from Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from omc.celery import app as celery_app
from orders import services
from orders.models import Alert, OutboxMessage
from orders.roles import Role
from orders.states import OrderStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(predicate, *, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def celery_worker_process(db):
    """A real `celery worker` on the test database, publishing through Redis from this process."""
    celery_app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omc.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = open(ROOT / "test-artifacts" / "celery-worker.log", "w") if (ROOT / "test-artifacts").is_dir() else None
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
            "--hostname=omc-test@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.task_always_eager = False
    try:
        assert _wait_for(lambda: bool(celery_app.control.ping(timeout=0.5)), seconds=30), "worker did not start"
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(timeout=20)
        if log:
            log.close()


def test_the_overdue_scan_runs_on_a_real_worker(celery_worker_process, overdue_handoff):
    order = overdue_handoff(hours_late=1).order

    celery_app.send_task("orders.tasks.handoffs_scan_overdue")

    assert _wait_for(lambda: Alert.objects.filter(order=order, emailed_at__isnull=False).exists())
    assert list(Alert.objects.values_list("level", flat=True)) == ["overdue"]


def test_a_handoff_is_delivered_through_redis_and_processed_once(celery_worker_process, order_in, user_with):
    order = order_in(OrderStatus.DRAFT)

    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    message = OutboxMessage.objects.get(order=order)
    assert _wait_for(lambda: OutboxMessage.objects.filter(pk=message.pk, processed_at__isnull=False).exists())
    processed_at = OutboxMessage.objects.get(pk=message.pk).processed_at

    # the broker delivers it again: the worker sees it is done and does nothing
    duplicate = celery_app.send_task("orders.tasks.outbox_deliver", args=[message.pk], ignore_result=False)

    # (an earlier in-process task may leave Celery believing it runs inside one; this is the test, not a task)
    assert duplicate.get(timeout=30, disable_sync_subtasks=False) is False
    assert OutboxMessage.objects.get(pk=message.pk).processed_at == processed_at
