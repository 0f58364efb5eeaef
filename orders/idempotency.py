"""`Idempotency-Key` on every API write (POST under /api/), in one place.

A client that may retry a write (a timeout, a dropped connection) sends a key of its own
choosing, unique per operation, e.g. a UUID:

- first request with the key: the view runs and its answer (status and body) is stored with
  the key, in the same database transaction as the view's own writes;
- the same key and the same request again: the stored answer comes back unchanged, with
  `Idempotent-Replayed: true`, and nothing runs again;
- the same key with another body or on another endpoint: 422, nothing runs;
- the same key sent again while the first request still runs: the second waits for the
  first (the first holds the key's row lock until it commits) and then gets its answer.

Keys are per user and kept `OMC_IDEMPOTENCY_KEEP_HOURS` (24 h; beat deletes older ones).
A request without the header works as before. Server errors (5xx) are not stored: their
transaction rolls back with the key, so a retry runs again; so do 401, 403 and 429 (the request
never ran).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# The request never ran (not signed in, not allowed, throttled): a retry must be free to run.
NOT_STORED = {401, 403, 429}


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def _api_user(request):
    """The caller, by session or by token (DRF authenticates only inside the view)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request

    try:
        found = TokenAuthentication().authenticate(Request(request))
    except APIException:
        return None
    return found[0] if found else None


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body), status=record.status_code, content_type=record.content_type or None
    )
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    """Stores and replays API answers by `Idempotency-Key` (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            detail = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters."
            return _error(400, "invalid_idempotency_key", detail)
        user = _api_user(request)
        if user is None:
            return self.get_response(request)  # the view answers 401/403 as usual
        body_hash = hashlib.sha256(request.body).hexdigest()
        described = f"{request.method} {request.path}"[:300]
        keep = timedelta(hours=settings.OMC_IDEMPOTENCY_KEEP_HOURS)

        with transaction.atomic():
            IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=timezone.now() - keep).delete()
            try:
                # A concurrent first request holds this row uncommitted: the insert waits for it.
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, request=described, body_hash=body_hash, created_at=timezone.now()
                    )
                created = True
            except IntegrityError:
                record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
                created = False
            if not created:
                if record.request != described or record.body_hash != body_hash:
                    return _error(
                        422,
                        "idempotency_key_reused",
                        f"This {HEADER} was already used for a different request "
                        f"({record.request}); use a new key for a new request.",
                    )
                if record.status_code is not None:
                    return _replay(record)
            response = self.get_response(request)
            if response.status_code in NOT_STORED or response.status_code >= 500 or response.streaming:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.response_body = response.content
            record.save(update_fields=["status_code", "content_type", "response_body"])
        return response


def schema_add_header(result, generator, request, public):
    """drf-spectacular post-processing hook: document the optional header on every POST."""
    parameter = {
        "in": "header",
        "name": HEADER,
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
        "description": (
            "Optional, unique per operation (e.g. a UUID). A retry with the same key and body returns the "
            "stored answer without running again (header Idempotent-Replayed: true); the same key with "
            "another body answers 422. Kept 24 hours."
        ),
    }
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("post")
        if operation is not None:
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(parameter)
            operation.setdefault("responses", {}).setdefault(
                "422", {"description": f"The {HEADER} was already used for a different request."}
            )
    return result
