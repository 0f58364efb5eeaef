from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customer portal"

    def ready(self):
        from billing.services import TOPIC_INVOICE_POSTED
        from orders import outbox
        from orders.services import TOPIC_PROMISE_CHANGED, reaction_register

        from . import services

        # The emails a customer contact can choose (each recorded once per event, then sent).
        outbox.register("order.accept", services.on_order_accepted)
        outbox.register("order.ship", services.on_order_shipped)
        outbox.register(TOPIC_PROMISE_CHANGED, services.on_promise_changed)
        outbox.register(TOPIC_INVOICE_POSTED, services.on_invoice_posted)
        # A re-order the customer asked for is dealt with when sales submits or cancels the draft.
        reaction_register("submit", services.reorder_handoff_close)
        reaction_register("cancel", services.reorder_handoff_close)
