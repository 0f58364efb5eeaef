"""The review board's queue (selectors.review_queue): entered orders by priority score, unscored
last, oldest first. PostgreSQL only: SQLite (the `make run` default) cannot index NULLS LAST,
so the index lives outside the model state and this migration does nothing there."""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS order_review_queue ON orders_order
    (priority_score DESC NULLS LAST, created_at, id) WHERE status = 'entered'
"""
DROP = "DROP INDEX IF EXISTS order_review_queue"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0013_order_list_status_index")]

    operations = [migrations.RunPython(create, drop)]
