"""Trigram indexes for the order list's free-text search (icontains on number, customer PO and
customer name). PostgreSQL only: Django's icontains is UPPER(col::text) LIKE UPPER('%x%'), so the
GIN indexes are on that expression. On SQLite (make run) both operations do nothing."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("order_number_trgm", "orders_order", "number"),
    ("order_customer_po_trgm", "orders_order", "customer_po"),
    ("customer_name_trgm", "orders_customer", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_ops_outbox_request_id_task_failure")]

    operations = [
        TrigramExtension(),  # itself a no-op on other databases
        migrations.RunPython(create, drop, elidable=False),
    ]
