"""Tests that need history to have happened earlier (an invoice fell due last month, an order
was delivered 45 days ago) rewrite the append-only rows inside this block only: it switches off
the append-only triggers for the current transaction (PostgreSQL's replica mode, as a restore
would). Application code never does this; tests/test_append_only.py proves the triggers hold."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def rewriting_history():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
