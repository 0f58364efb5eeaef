from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders (the shared spine)"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import (
            handlers,  # noqa: F401  registers the hub's own outbox handlers
            reference,  # noqa: F401  drops the cached reference rows when they change
        )
        from .languages import on_login

        # The user's stored language becomes their session's at login (docs/i18n.md).
        user_logged_in.connect(on_login, dispatch_uid="orders.languages.on_login")
