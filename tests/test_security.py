"""Log-in throttling, session rotation, CSRF on every unsafe page, API tokens, security headers,
request ids and the audit log, and `check --deploy` on the production settings."""

import logging
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from orders.roles import Role
from orders.states import OrderStatus

from .role_matrix import endpoints
from .test_role_matrix import ROWS, _url, world  # noqa: F401 - the module-scoped world fixture

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- log-in throttling (django-axes) ----------------------------------------------------------


def test_five_wrong_passwords_lock_that_user_from_that_address_until_the_cool_off(user_with, settings):
    user = user_with(Role.FINANCE)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, user.username, "wrong").status_code == 200  # the form, with its error
    locked = _login(client, user.username, "wrong")

    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.content.decode()
    # even the right password is refused while locked ...
    assert _login(client, user.username, "pw-for-tests").status_code == 429
    assert "_auth_user_id" not in client.session
    # ... but only for that username from that address
    assert _login(Client(), user.username, "pw-for-tests", ip="10.0.0.2").status_code == 302

    # after the cool-off the right password works again
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _login(client, user.username, "pw-for-tests").status_code == 302


def test_the_api_token_endpoint_is_throttled_too_and_token_auth_is_unaffected(user_with, settings):
    user = user_with(Role.FINANCE)
    api = APIClient(enforce_csrf_checks=True)
    token = api.post("/api/auth/token/", {"username": user.username, "password": "pw-for-tests"}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    # a token call needs no CSRF token, even for writes
    assert api.get("/api/orders/").status_code == 200
    assert api.post("/api/billing/payments/", {}, format="json").status_code == 400

    for _ in range(settings.AXES_FAILURE_LIMIT):
        APIClient().post("/api/auth/token/", {"username": user.username, "password": "wrong"})
    refused = APIClient().post("/api/auth/token/", {"username": user.username, "password": "pw-for-tests"})
    assert refused.status_code in (400, 403, 429) and "token" not in refused.json()


# --- sessions and CSRF ------------------------------------------------------------------------


def test_logging_in_rotates_the_session_key(user_with):
    user = user_with(Role.SALES_REP)
    client = Client()
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before

    assert _login(client, user.username, "pw-for-tests").status_code == 302

    after = client.cookies["sessionid"].value
    assert after != before
    assert client.session.get("_auth_user_id") == str(user.pk)
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=before).exists()


def _unsafe_page_rows():
    api = {e.name for e in endpoints() if e.is_api}
    return [row for row in ROWS if row.method == "POST" and row.name not in api]


@pytest.mark.parametrize("row", _unsafe_page_rows(), ids=[row.name for row in _unsafe_page_rows()])
def test_a_post_to_a_page_without_a_csrf_token_is_403(row, world):  # noqa: F811
    user = world["users"][Role.EXECUTIVE.value]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(_url(row, world), {})

    assert response.status_code == 403
    assert b"CSRF" in response.content


def test_the_login_form_needs_a_csrf_token_too():
    assert Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"}).status_code == 403


# --- headers ----------------------------------------------------------------------------------


def test_security_headers_and_a_strict_csp_on_pages(client, user_with):
    client.force_login(user_with(Role.SALES_REP))
    response = client.get("/orders/")
    csp = response["Content-Security-Policy"]

    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_template_has_an_inline_script_handler_or_style_attribute():
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"\sstyle\s*=", r"hx-on"):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert not offenders, offenders


def test_check_deploy_passes_with_the_production_settings():
    # conftest allows async-unsafe calls for the browser tests; a deployment never does.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "omc.settings.production",
        "DJANGO_SECRET_KEY": "test-" + "k3y-for-the-deploy-check-" * 3,
        "DJANGO_ALLOWED_HOSTS": "omc.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omc"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- request ids and the audit log ------------------------------------------------------------


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(client):
    generated = client.get("/login/")["X-Request-ID"]
    assert uuid.UUID(generated)
    assert client.get("/login/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    forged = client.get("/login/", HTTP_X_REQUEST_ID="x\nINFO fake log line")["X-Request-ID"]
    assert "\n" not in forged and uuid.UUID(forged)


def _audit(caplog, event):
    return [r for r in caplog.records if r.name == "omc.audit" and getattr(r, "audit_event", "") == event]


def test_log_in_failure_log_out_and_lock_out_are_audited_with_actor_and_request_id(user_with, caplog, settings):
    caplog.set_level(logging.INFO, logger="omc.audit")
    user = user_with(Role.FINANCE)
    client = Client()

    client.post("/login/", {"username": user.username, "password": "wrong"}, HTTP_X_REQUEST_ID="req-fail")
    client.post("/login/", {"username": user.username, "password": "pw-for-tests"}, HTTP_X_REQUEST_ID="req-ok")
    client.post("/logout/", HTTP_X_REQUEST_ID="req-out")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": user.username, "password": "wrong"}, HTTP_X_REQUEST_ID="req-lock")

    (failed, *_) = _audit(caplog, "auth.login_failed")
    (login,) = _audit(caplog, "auth.login")
    (logout,) = _audit(caplog, "auth.logout")
    (locked,) = _audit(caplog, "auth.locked_out")
    assert (failed.actor, failed.request_id) == (user.username, "req-fail")
    assert (login.actor, login.request_id) == (user.username, "req-ok")
    assert (logout.actor, logout.request_id) == (user.username, "req-out")
    assert (locked.actor, locked.request_id) == (user.username, "req-lock")
    assert "password" not in " ".join(r.getMessage() for r in caplog.records if r.name == "omc.audit")


def test_a_403_and_a_new_token_are_audited(user_with, caplog):
    caplog.set_level(logging.INFO, logger="omc.audit")
    user = user_with(Role.WAREHOUSE)
    client = Client()
    client.force_login(user)
    client.get("/billing/invoices/", HTTP_X_REQUEST_ID="req-403")
    APIClient().post("/api/auth/token/", {"username": user.username, "password": "pw-for-tests"})

    (denied,) = _audit(caplog, "auth.permission_denied")
    (token,) = _audit(caplog, "auth.token_created")
    assert (denied.actor, denied.request_id, denied.path) == (user.username, "req-403", "/billing/invoices/")
    assert token.actor == user.username


def test_a_transition_is_audited_with_actor_and_request_id(
    api_as, order_in, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="omc.audit")
    api = api_as(Role.SALES_REP)
    order = order_in(OrderStatus.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/orders/{order.pk}/actions/submit/", {}, format="json", HTTP_X_REQUEST_ID="req-tr")

    assert response.status_code == 200
    (moved,) = _audit(caplog, "order.transition")
    assert (moved.actor, moved.request_id, moved.order) == (api.user.username, "req-tr", order.number)
    assert "action=submit" in moved.getMessage()
