"""Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.

The beat schedule lives here in code (django-celery-beat does not support
Django 6.1). `manage.py run_local_beat` runs the same schedule without a broker.
"""

import environ

env = environ.Env()
_redis_url = env("REDIS_URL", default="")

CELERY_BROKER_URL = _redis_url or "memory://"
# Results are kept only for callers that ask (ignore_result=False), e.g. the worker tests.
CELERY_RESULT_BACKEND = _redis_url or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = not _redis_url
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_QUEUE = "omc"
# --- operations: queues (docs/operations.md) -------------------------------------------------
# Each kind of work has its own queue so a slow PDF run never delays a hand-off. A worker
# started without -Q consumes every queue below (one host, tests); production runs one worker
# group per queue: `celery -A omc worker -Q handoffs`.
OMC_QUEUES = ("omc", "handoffs", "alerts", "documents", "reports")
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in OMC_QUEUES}
CELERY_TASK_ROUTES = {
    # hand-offs between departments: the outbox and the work it drives
    "orders.tasks.outbox_deliver": {"queue": "handoffs"},
    "orders.tasks.outbox_relay": {"queue": "handoffs"},
    "omc.noop": {"queue": "handoffs"},  # the benchmark's ceiling: drained beside the hand-offs it compares with
    "fulfillment.tasks.backorders_retry": {"queue": "handoffs"},
    # overdue scan and alert emails
    "orders.tasks.handoffs_scan_overdue": {"queue": "alerts"},
    # documents: invoice PDFs and their emails, reminders
    "billing.tasks.invoice_send": {"queue": "documents"},
    "billing.tasks.invoices_send_reminders": {"queue": "documents"},
    "portal.tasks.notification_send": {"queue": "documents"},
    "portal.tasks.notifications_send_pending": {"queue": "documents"},
    # reports and batch jobs
    "billing.tasks.invoices_build_consolidated": {"queue": "reports"},
    "aftersales.tasks.maintenance_visits_generate": {"queue": "reports"},
    "orders.tasks.idempotency_records_expire": {"queue": "reports"},
    "orders.tasks.kpi_days_refresh": {"queue": "reports"},
}
# Logs stay structured JSON in the worker (Django's LOGGING, see omc/logs.py), not Celery's format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# --- end operations: queues ------------------------------------------------------------------
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish must not hang a web request when Redis is down: the outbox relay retries.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 0}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"

CELERY_BEAT_SCHEDULE = {
    "handoffs-scan-overdue": {"task": "orders.tasks.handoffs_scan_overdue", "schedule": 60.0},
    "outbox-relay": {
        "task": "orders.tasks.outbox_relay",
        "schedule": env.float("OMC_OUTBOX_RELAY_EVERY_SECONDS", default=60.0),
    },
    "idempotency-records-expire": {"task": "orders.tasks.idempotency_records_expire", "schedule": 3600.0},
    "billing-consolidated-invoices": {"task": "billing.tasks.invoices_build_consolidated", "schedule": 3600.0},
    "billing-overdue-reminders": {"task": "billing.tasks.invoices_send_reminders", "schedule": 3600.0},
    "aftersales-maintenance-visits": {"task": "aftersales.tasks.maintenance_visits_generate", "schedule": 3600.0},
    # Customer portal emails whose task was never queued (broker down).
    "portal-notifications-pending": {"task": "portal.tasks.notifications_send_pending", "schedule": 60.0},
    # The KPI dashboard's daily rollups: the recent days often (late events land on past days),
    # every day once a day (tier changes, very late corrections).
    "kpi-days-recent": {"task": "orders.tasks.kpi_days_refresh", "schedule": 300.0},
    "kpi-days-all": {"task": "orders.tasks.kpi_days_refresh", "schedule": 86400.0, "kwargs": {"full": True}},
}
