"""Project-level views: health checks."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
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


@extend_schema(responses={200: OpenApiTypes.OBJECT}, description="Who you are: {ok, user}.")
@api_view(["GET"])
@permission_classes([RolePermission])
def api_ping(request):
    """The smallest authenticated JSON endpoint: who you are. The benchmark's ceiling for HTTP
    load (same authentication, middleware and JSON rendering as every API call, no domain work)."""
    return Response({"ok": True, "user": request.user.get_username()})
