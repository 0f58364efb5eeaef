from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customer portal"

    def ready(self):
        from billing.services import TOPIC_INVOICE_POSTED
        from orders import outbox, panels
        from orders.services import TOPIC_PROMISE_CHANGED, reaction_register

        from . import selectors, services

        # The emails a customer contact can choose (each recorded once per event, then sent).
        outbox.register("order.accept", services.on_order_accepted)
        outbox.register("order.ship", services.on_order_shipped)
        outbox.register(TOPIC_PROMISE_CHANGED, services.on_promise_changed)
        outbox.register(TOPIC_INVOICE_POSTED, services.on_invoice_posted)
        # A re-order the customer asked for is dealt with when sales submits or cancels the draft.
        reaction_register("submit", services.reorder_handoff_close)
        reaction_register("cancel", services.reorder_handoff_close)
        # Who logs in to the portal for a customer, on the customer's page.
        panels.register(
            "portal",
            page="customer",
            template="portal/_customer_panel.html",
            context=selectors.customer_contacts_panel,
            order=60,
        )
