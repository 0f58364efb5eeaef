"""The standing rules: one writer of Order.status, generated docs in step, production settings."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from orders.management.commands.states_doc import states_markdown

ROOT = Path(__file__).resolve().parent.parent
APPS = ["omc", "orders", "planning", "pricing", "scheduling", "fulfillment", "billing", "returns", "aftersales"]
THE_WRITER = ROOT / "orders" / "services.py"


def _python_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _status_writes(tree):
    """Lines that assign `<something order>.status` or call update()/bulk_update() with a status
    on an order queryset. Other models' own status fields (shipments, invoices) are theirs."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status":
                if re.search(r"(^|\.)orders?$", ast.unparse(target.value).lower()):
                    yield node.lineno
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("update", "bulk_update"):
            receiver = ast.unparse(node.func.value)
            keywords = {k.arg for k in node.keywords}
            strings = {a.value for a in ast.walk(node) if isinstance(a, ast.Constant)}
            if receiver.startswith(("Order.", "order.", "orders.")) and ("status" in keywords or "status" in strings):
                yield node.lineno


def test_only_orders_services_writes_order_status():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files()
        if path != THE_WRITER
        for line in _status_writes(ast.parse(path.read_text()))
    ]
    assert offenders == [], "Order.status is written outside orders/services.py"


def test_the_writer_writes_status_in_one_place():
    assert len(list(_status_writes(ast.parse(THE_WRITER.read_text())))) == 1


def test_docs_states_md_is_generated_from_the_table():
    assert (ROOT / "docs" / "states.md").read_text() == states_markdown(), "run: make docs"


def test_production_settings_pass_the_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "omc.settings.production",
        "DJANGO_SECRET_KEY": "x" * 64 + "-not-a-real-secret-just-for-the-deploy-check",
        "DJANGO_ALLOWED_HOSTS": "omc.example.com",
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


def test_production_settings_refuse_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env |= {"DJANGO_SETTINGS_MODULE": "omc.settings.production", "DJANGO_ALLOWED_HOSTS": "omc.example.com"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_no_template_loads_assets_from_the_internet():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert "http://" not in text and "https://" not in text, path
