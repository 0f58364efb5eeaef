from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from orders import facts, navigation, outbox, panels, providers
        from orders.roles import Role

        from . import handlers, selectors, services

        outbox.register("order.ship", handlers.on_order_shipped)
        outbox.register(services.TOPIC_INVOICE_POSTED, handlers.on_invoice_posted)
        providers.register("exposure", selectors.customer_exposure)
        outbox.register("returns.claim_opened", handlers.on_claim_opened)
        outbox.register("returns.credit_requested", handlers.on_credit_requested)
        # The dashboard's billing accuracy and DSO, summed per issue day and per day of payment (orders.KpiDay).
        facts.register_days(
            columns=("invoices", "invoices_corrected", "invoiced", "receivable_issued"),
            query=selectors.invoices_per_day,
        )
        facts.register_days(columns=("receivable_paid",), query=selectors.invoices_paid_per_day)
        finance = {Role.FINANCE, Role.EXECUTIVE}
        navigation.register(gettext_lazy("Invoice review"), "billing:review_queue", roles={Role.FINANCE}, order=45)
        navigation.register(gettext_lazy("Invoices"), "billing:invoice_list", roles=selectors.BILLING_READERS, order=46)
        navigation.register(gettext_lazy("Receivables"), "billing:receivables", roles=finance, order=47)
        panels.register(
            "billing",
            page="customer",
            template="billing/_customer_panel.html",
            context=selectors.customer_billing_panel,
            order=10,
        )
        panels.register(
            "billing", template="billing/_order_panel.html", context=selectors.order_billing_panel, order=30
        )
