from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ReturnsConfig(AppConfig):
    name = "returns"

    def ready(self):
        from orders import navigation, outbox, panels
        from orders.roles import Role

        from . import handlers, selectors

        outbox.register("billing.credit_issued", handlers.on_credit_issued)
        outbox.register("billing.credit_failed", handlers.on_credit_failed)
        navigation.register(
            gettext_lazy("Returns"), "returns:rma_list", roles=selectors.READERS - {Role.SALES_REP}, order=50
        )
        navigation.register(
            gettext_lazy("Claims"),
            "returns:claim_list",
            roles={Role.CUSTOMER_SERVICE, Role.FINANCE, Role.EXECUTIVE},
            order=51,
        )
        navigation.register(
            gettext_lazy("Credits due"), "returns:credits_due", roles={Role.FINANCE, Role.EXECUTIVE}, order=52
        )
        panels.register(
            "returns", template="returns/_order_panel.html", context=selectors.order_returns_panel, order=40
        )
