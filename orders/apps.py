from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders (the shared spine)"

    def ready(self):
        from . import handlers  # noqa: F401  registers the hub's own outbox handlers
