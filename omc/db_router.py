"""Sends reporting reads to the read replica; everything else, and every write, to the primary."""

from django.conf import settings

from orders.reporting import reporting_active


class ReportingRouter:
    def db_for_read(self, model, **hints):
        if reporting_active():
            return getattr(settings, "OMC_REPORTING_DATABASE", "default")
        return None  # Django's default: the primary (or the instance's own database)

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: rows read from either may be related.
        return True

    def allow_migrate(self, db, app_label, **hints):
        # Only the primary is migrated; the replica follows it through replication.
        return db == "default"
