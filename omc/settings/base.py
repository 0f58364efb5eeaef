"""Settings shared by every environment, read from the environment.

With nothing set the app runs with no server at all: SQLite and Celery tasks
executed in-process. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

from omc.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-a-secret")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_structlog",  # operations: JSON logs with request ids (docs/operations.md)
    "axes",  # login throttling (security block below)
    "orders",
    "planning",
    "pricing",
    "scheduling",
    "fulfillment",
    "billing",
    "returns",
    "aftersales",
    "portal",  # the customer portal (sits above the step apps, like omc)
    "omc.apps.OmcConfig",  # the dashboard, operations commands (import_data) and the audit log's receivers
]

MIDDLEWARE = [
    # operations: request id and latency first, so every later layer logs and counts with them
    "omc.request_id.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "omc.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Languages (docs/i18n.md): the browser's or the switcher's choice, then the user's own.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "orders.middleware.user_language",
    "orders.idempotency.IdempotencyMiddleware",  # Idempotency-Key on API writes (docs/reliability.md)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "omc.audit.AuditForbiddenMiddleware",
    # operations: ?export=csv|xlsx on any list page; last, so only the view runs once per page
    "omc.exports.ExportMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "omc.urls"
WSGI_APPLICATION = "omc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.context_processors.navigation",
                "django.template.context_processors.csp",  # {{ csp_nonce }} (security block below)
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# Persistent connections (bench/, issue 10): opening a PostgreSQL connection for every request
# and every Celery task cost more than most requests; the health check above drops a dead one.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=600))

# --- operations: read replica and connection pool (docs/operations.md) ----------------------
# Reporting reads (dashboard, accuracy and aging reports, exports) go to "replica" when
# REPLICA_DATABASE_URL is set; everything else and every write goes to "default".
REPLICA_DATABASE_URL = env("REPLICA_DATABASE_URL", default="")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
OMC_REPORTING_DATABASE = "replica" if REPLICA_DATABASE_URL else "default"
DATABASE_ROUTERS = ["omc.db_router.ReportingRouter"]
# Django's psycopg 3 pool per process, DB_POOL_MAX > 0 turns it on (production sets it). A pool
# replaces persistent connections, so CONN_MAX_AGE stays 0.
DB_POOL_MIN = env.int("DB_POOL_MIN", default=1)
DB_POOL_MAX = env.int("DB_POOL_MAX", default=0)


def database_pool_enable(databases: dict, *, min_size: int, max_size: int) -> None:
    for settings_dict in databases.values():
        if max_size > 0 and settings_dict["ENGINE"] == "django.db.backends.postgresql":
            settings_dict["CONN_MAX_AGE"] = 0
            settings_dict.setdefault("OPTIONS", {})["pool"] = {
                "min_size": min(min_size, max_size),
                "max_size": max_size,
                "timeout": env.int("DB_POOL_TIMEOUT", default=10),
            }


database_pool_enable(DATABASES, min_size=DB_POOL_MIN, max_size=DB_POOL_MAX)
# --- end operations: database ------------------------------------------------------------
# No JIT on any PostgreSQL connection: the planner's estimates trip it on short OLTP queries at a
# million orders (40+ ms of compiling, docs/performance.md) and on the dashboard's aggregates
# (150-330 ms compiling queries that then run in 20-50 ms, docs/benchmarks.md).
for _alias in DATABASES.values():
    if _alias["ENGINE"] == "django.db.backends.postgresql":
        _alias.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run on SQLite: the dashboard rollups' unique keys (nulls not distinct, covering columns)
    # are only enforced on PostgreSQL; on SQLite the rollups are rebuilt by DELETE + INSERT, so the
    # keys are never needed. Covering indexes (INCLUDE) are plain indexes there: same answers.
    SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W039", "models.W040"]

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:home"
LOGOUT_REDIRECT_URL = "login"

TIME_ZONE = env("OMC_TIME_ZONE", default="UTC")
USE_TZ = True

# Languages and formats (docs/i18n.md). English is the source language; the catalogues live in
# locale/<lang>/LC_MESSAGES/django.po and are compiled by `make install` (manage.py compilemessages).
# Names are each language's own, so the switcher reads right whatever language is active.
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("vi", "Tiếng Việt"),
    ("it", "Italiano"),
    ("id", "Bahasa Indonesia"),
    ("th", "ไทย"),
    ("zh-hant", "繁體中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats per language on top of Django's (English keeps ISO dates, as before).
FORMAT_MODULE_PATH = ["omc.formats"]
# Where the PDF documents find the fonts they embed (Debian's font packages; orders/documents.py).
OMC_PDF_FONT_DIR = env("OMC_PDF_FONT_DIR", default="/usr/share/fonts/truetype")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Alerts go out by email; the console backend prints them until a real mailer is set.
MAILERS = {"default": {"BACKEND": env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="omc@localhost")

# Rejects absurd request bodies before they reach a serializer.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "orders.api_support.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orders.api_support.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OMC API",
    "DESCRIPTION": "Order-to-cash: customers, products, orders and their guarded transitions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Any internal role (a customer portal contact gets 403: the schema lists every internal endpoint).
    "SERVE_PERMISSIONS": ["orders.api_support.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every POST documents the optional Idempotency-Key header (orders/idempotency.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "orders.idempotency.schema_add_header"],
    # Each app's "status" and "kind" choices get their own schema name.
    "ENUM_NAME_OVERRIDES": {
        "DepartmentEnum": "orders.roles.Department",
        "OrderStatusEnum": "orders.states.OrderStatus",
        "StockMovementKindEnum": "fulfillment.models.StockMovement.Kind",
        "ShipmentStatusEnum": "fulfillment.models.Shipment.Status",
        "InvoiceKindEnum": "billing.models.Invoice.Kind",
        "InvoiceStatusEnum": "billing.models.Invoice.Status",
        "PriceApprovalStatusEnum": "pricing.models.PriceApproval.Status",
        "PlanningEventKindEnum": "planning.models.PlanningEvent.Kind",
        "CapacityExceptionKindEnum": "scheduling.models.CapacityException.Kind",
        "ExpediteRequestStatusEnum": "scheduling.models.ExpediteRequest.Status",
        "RescheduleEventKindEnum": "scheduling.models.RescheduleEvent.Kind",
        "ReturnAuthorizationStatusEnum": "returns.models.ReturnAuthorization.Status",
        "ReturnAuthorizationReasonEnum": "returns.models.ReturnAuthorization.Reason",
        "ReturnAuthorizationResolutionEnum": "returns.models.ReturnAuthorization.Resolution",
        "ReturnLineDispositionEnum": "returns.models.ReturnLine.Disposition",
        "ClaimKindEnum": "returns.models.Claim.Kind",
        "ClaimStatusEnum": "returns.models.Claim.Status",
        "TicketKindEnum": "aftersales.models.TicketKind",
        "TicketPriorityEnum": "aftersales.models.Ticket.Priority",
        "TicketStatusEnum": "aftersales.models.Ticket.Status",
        "TicketWarrantyEnum": "aftersales.models.Ticket.Warranty",
        "VisitStatusEnum": "aftersales.models.Visit.Status",
    },
}

# --- operations: structured logs (omc/logs.py, docs/operations.md) -------------------------
# JSON lines by default; LOG_FORMAT=console for people reading a terminal. django-structlog
# binds request_id (from X-Request-ID, see omc/request_id.py) and carries it into Celery tasks.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
# omc.audit: security events and order transitions, each with actor and request id (docs/security.md).
LOGGING["filters"] = {"request_id": {"()": "omc.request_id.RequestIdFilter"}}
LOGGING["loggers"]["omc.audit"] = {"level": "INFO", "filters": ["request_id"]}
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# --- end operations: logs ------------------------------------------------------------------

# --- operations: metrics and stuck work (docs/operations.md) -------------------------------
# /metrics answers a scraper that sends "Authorization: Bearer $METRICS_TOKEN" or that comes
# from one of METRICS_ALLOWED_IPS (the address Django sees: behind a proxy, the proxy's).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
# Outbox rows not processed this many minutes after they were written show as stuck.
OMC_STUCK_OUTBOX_MINUTES = env.int("OMC_STUCK_OUTBOX_MINUTES", default=10)
# An export runs the list page once per page of 25-50 rows; past this many rows it stops and says so.
OMC_EXPORT_MAX_ROWS = env.int("OMC_EXPORT_MAX_ROWS", default=10000)
# --- end operations: metrics -------------------------------------------------------------

# How long each step may keep an order before its hand-off is overdue, in hours,
# used when no StepServiceLevel row overrides it (admins set those per step).
OMC_DEFAULT_SERVICE_LEVEL_HOURS = 24
# Pricing: discounts above this, or an order margin below that, need an estimator's or manager's approval.
OMC_DISCOUNT_APPROVAL_PERCENT = env("OMC_DISCOUNT_APPROVAL_PERCENT", default="10")
OMC_MARGIN_APPROVAL_PERCENT = env("OMC_MARGIN_APPROVAL_PERCENT", default="15")
# Billing: the standard tax rate when neither the customer nor the product has its own, and how
# often an overdue invoice is reminded.
OMC_STANDARD_TAX_RATE_PERCENT = env("OMC_STANDARD_TAX_RATE_PERCENT", default="20")
OMC_REMINDER_INTERVAL_DAYS = env.int("OMC_REMINDER_INTERVAL_DAYS", default=7)
# Order entry: the lead time promised when neither stock nor capacity can say, and how far back a
# same-lines order counts as a possible duplicate.
OMC_STANDARD_LEAD_DAYS = env.int("OMC_STANDARD_LEAD_DAYS", default=21)
OMC_DUPLICATE_WINDOW_HOURS = env.int("OMC_DUPLICATE_WINDOW_HOURS", default=48)
# Days from the end of production to the goods leaving the site (packing, dispatch).
OMC_SHIPPING_LEAD_DAYS = env.int("OMC_SHIPPING_LEAD_DAYS", default=2)
# When a back order is expected if the order has no promised date yet, in days.
OMC_BACKORDER_LEAD_DAYS = env.int("OMC_BACKORDER_LEAD_DAYS", default=14)
# After-sales: warranty when a product has no term of its own or of its family (months), how far
# ahead maintenance plans plan their visits (days), and how long sales has to read field feedback (h).
OMC_DEFAULT_WARRANTY_MONTHS = env.int("OMC_DEFAULT_WARRANTY_MONTHS", default=12)
OMC_MAINTENANCE_HORIZON_DAYS = env.int("OMC_MAINTENANCE_HORIZON_DAYS", default=30)
OMC_FEEDBACK_SERVICE_LEVEL_HOURS = env.int("OMC_FEEDBACK_SERVICE_LEVEL_HOURS", default=72)

# Customer portal: the address its emails link to, and how long sales has to confirm a re-order
# a customer asked for (hours).
OMC_PORTAL_BASE_URL = env("OMC_PORTAL_BASE_URL", default="http://127.0.0.1:8000")
OMC_PORTAL_REQUEST_HOURS = env.int("OMC_PORTAL_REQUEST_HOURS", default=24)

# --- Security (docs/security.md) -------------------------------------------------------------
# Login throttling: django-axes locks a username from one IP address after 5 failures for 15
# minutes, shows registration/locked_out.html, and a success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # omc.audit logs lock-outs with the request id
# Strict CSP: scripts and styles only from our own static files; no inline script or handler.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # The printable documents (invoice, quote, packing slip, label) keep one <style> block, which
    # xhtml2pdf needs for the PDF; it carries the per-request nonce. No 'unsafe-inline' anywhere.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Reliability (docs/reliability.md): when the outbox relay re-publishes a message never published
# (broker down) or published but never processed (delivery lost), in seconds.
OMC_OUTBOX_RELAY_UNPUBLISHED_AFTER_SECONDS = env.int("OMC_OUTBOX_RELAY_UNPUBLISHED_AFTER_SECONDS", default=30)
OMC_OUTBOX_RELAY_UNPROCESSED_AFTER_SECONDS = env.int("OMC_OUTBOX_RELAY_UNPROCESSED_AFTER_SECONDS", default=600)
# Outbox messages of one topic published (and applied by the worker, in one transaction) per task.
OMC_OUTBOX_BATCH_SIZE = env.int("OMC_OUTBOX_BATCH_SIZE", default=50)
# Idempotency-Key answers are replayed for this long (orders/idempotency.py).
OMC_IDEMPOTENCY_KEEP_HOURS = env.int("OMC_IDEMPOTENCY_KEEP_HOURS", default=24)

# KPI dashboard daily rollups (orders.KpiDay, docs/kpis.md): read them for days before today
# (off: every KPI reads the per-order facts), and how many past days the frequent refresh rebuilds.
OMC_KPI_ROLLUPS = env.bool("OMC_KPI_ROLLUPS", default=True)
OMC_KPI_ROLLUP_DAYS = env.int("OMC_KPI_ROLLUP_DAYS", default=35)
# ... and the waits' histograms (orders.waits: an interval lands on the day it ends, i.e. now).
OMC_KPI_WAIT_ROLLUP_DAYS = env.int("OMC_KPI_WAIT_ROLLUP_DAYS", default=1)

from .celery import *  # noqa: E402,F401,F403
