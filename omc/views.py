"""Project-level views: health and readiness checks, Prometheus metrics, the API docs page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from orders.api_support import RolePermission

from .celery import app as celery_app


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def _broker_status() -> str:
    if celery_app.conf.broker_url.startswith("memory://"):
        return "local"  # tasks run in-process; there is no broker to reach
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:  # noqa: BLE001
        return "unreachable"


@login_not_required
@require_GET
def healthz(request):
    database = "ok" if _database_ok() else "unreachable"
    broker = _broker_status()
    healthy = database == "ok" and broker in ("ok", "local")
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )


def _migrations_pending() -> list[str]:
    """Migrations on disk that the database has not applied (empty when up to date)."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    # Every migration on disk, not just the plan to the leaves: a missing middle one (history out of
    # order after a bad deploy) counts too.
    loader = MigrationExecutor(connections["default"]).loader
    return [f"{app}.{name}" for app, name in sorted(set(loader.graph.nodes) - set(loader.applied_migrations))]


@login_not_required
@require_GET
def readyz(request):
    """Readiness: the database answers, the broker answers, and every migration is applied.
    200 with each check when ready; 503 naming the failing check(s) otherwise."""
    checks = {"database": "ok" if _database_ok() else "unreachable", "broker": _broker_status()}
    if checks["database"] == "ok":
        try:
            pending = _migrations_pending()
        except Exception:  # noqa: BLE001 - cannot read the migration table: not ready
            pending = ["unknown"]
        checks["migrations"] = "ok" if not pending else f"{len(pending)} unapplied"
        if pending:
            checks["unapplied"] = pending[:20]
    else:
        checks["migrations"] = "unknown"
    failing = [name for name in ("database", "broker", "migrations") if checks[name] not in ("ok", "local")]
    body = {"status": "ready" if not failing else "not ready", "failing": failing, **checks}
    return JsonResponse(body, status=200 if not failing else 503)


def _metrics_allowed(request) -> bool:
    """A scraper presents METRICS_TOKEN as a bearer token, or scrapes from an allowed address."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and constant_time_compare(header.removeprefix("Bearer "), token):
        return True
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


@login_not_required
@require_GET
def metrics(request):
    from . import metrics as omc_metrics

    if not _metrics_allowed(request):
        return HttpResponse("Forbidden: metrics need the scrape token.\n", status=403, content_type="text/plain")
    return HttpResponse(omc_metrics.metrics_text(), content_type=CONTENT_TYPE_LATEST)


@extend_schema(responses={200: OpenApiTypes.OBJECT}, description="Who you are: {ok, user}.")
@api_view(["GET"])
@permission_classes([RolePermission])
def api_ping(request):
    """The smallest authenticated JSON endpoint: who you are. The benchmark's ceiling for HTTP
    load (same authentication, middleware and JSON rendering as every API call, no domain work)."""
    return Response({"ok": True, "user": request.user.get_username()})


# Swagger UI styles itself with inline style attributes and one <style> block: the API docs page
# (and only it) may use inline styles; scripts stay 'self' only (docs/security.md).
api_docs = csp_override({**settings.SECURE_CSP, "style-src": ["'self'", "'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)
