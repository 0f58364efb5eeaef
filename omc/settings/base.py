"""Settings shared by every environment, read from the environment.

With nothing set the app runs with no server at all: SQLite and Celery tasks
executed in-process. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from pathlib import Path

import environ

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
    "orders",
    "planning",
    "pricing",
    "scheduling",
    "fulfillment",
    "billing",
    "returns",
    "aftersales",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "orders.idempotency.IdempotencyMiddleware",  # Idempotency-Key on API writes (docs/reliability.md)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

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

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("OMC_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

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
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

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

# Reliability (docs/reliability.md): when the outbox relay re-publishes a message never published
# (broker down) or published but never processed (delivery lost), in seconds.
OMC_OUTBOX_RELAY_UNPUBLISHED_AFTER_SECONDS = env.int("OMC_OUTBOX_RELAY_UNPUBLISHED_AFTER_SECONDS", default=30)
OMC_OUTBOX_RELAY_UNPROCESSED_AFTER_SECONDS = env.int("OMC_OUTBOX_RELAY_UNPROCESSED_AFTER_SECONDS", default=600)
# Idempotency-Key answers are replayed for this long (orders/idempotency.py).
OMC_IDEMPOTENCY_KEEP_HOURS = env.int("OMC_IDEMPOTENCY_KEEP_HOURS", default=24)

from .celery import *  # noqa: E402,F401,F403
