"""Security events on the `omc.audit` logger, each with its actor and request id.

Order transitions are logged by orders.services.order_transition on the same logger (besides
their OrderEvent row). Here: log in, failed log in, lock-out, log out, token created, and every
403 answer (a page's PermissionDenied, an API permission failure, a CSRF failure).
"""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from .request_id import current_request_id

logger = logging.getLogger("omc.audit")


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def audit(event: str, *, actor: str, request=None, **fields) -> None:
    """One audit record: `event actor=... request_id=... key=value ...` plus the same as extras."""
    request_id = getattr(request, "id", None) or current_request_id() or "-"
    details = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.info(
        "%s actor=%s request_id=%s %s",
        event,
        actor or "-",
        request_id,
        details,
        extra={"audit_event": event, "actor": actor or "-", "request_id": request_id, **fields},
    )


@receiver(user_logged_in, dispatch_uid="omc.audit.login")
def _logged_in(sender, request, user, **kwargs):
    audit("auth.login", actor=user.get_username(), request=request, ip=_client_ip(request))


@receiver(user_logged_out, dispatch_uid="omc.audit.logout")
def _logged_out(sender, request, user, **kwargs):
    audit("auth.logout", actor=user.get_username() if user else "", request=request, ip=_client_ip(request))


@receiver(user_login_failed, dispatch_uid="omc.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # credentials are already cleansed by Django (the password is masked); keep the username only.
    audit("auth.login_failed", actor=credentials.get("username", ""), request=request, ip=_client_ip(request))


def _locked_out(sender, request, username, ip_address, **kwargs):
    audit("auth.locked_out", actor=username or "", request=request, ip=ip_address)


def _token_saved(sender, instance, created, **kwargs):
    if created:
        audit("auth.token_created", actor=instance.user.get_username())


def connect() -> None:
    """Called from OmcConfig.ready: the signals of the optional apps (axes, authtoken)."""
    from axes.signals import user_locked_out
    from rest_framework.authtoken.models import Token

    user_locked_out.connect(_locked_out, dispatch_uid="omc.audit.locked_out")
    post_save.connect(_token_saved, sender=Token, dispatch_uid="omc.audit.token_created")


class AuditForbiddenMiddleware:
    """Logs every 403 answer with who asked for what."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            actor = user.get_username() if user is not None and user.is_authenticated else "anonymous"
            audit("auth.permission_denied", actor=actor, request=request, method=request.method, path=request.path)
        return response
