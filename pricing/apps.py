from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PricingConfig(AppConfig):
    name = "pricing"

    def ready(self):
        from orders import facts, guards, navigation, panels, providers
        from orders.roles import Role

        from . import selectors, services
        from .models import CostEstimate

        providers.register("price", services.price_for_entry)
        providers.register("prices", services.prices_for_entry)
        providers.register("score", services.score_margin)
        guards.register("quote", services.guard_prices_approved)
        guards.register("submit", services.guard_prices_approved)
        guards.register("submit", services.guard_quote_not_expired)
        # The dashboard's margin per order.
        facts.register(
            columns=("margin", "revenue"),
            query=lambda: CostEstimate.objects.values("order_id", "margin", "revenue"),
        )
        navigation.register(
            gettext_lazy("Price approvals"), "pricing:approval_queue", roles=selectors.APPROVERS, order=35
        )
        navigation.register(
            gettext_lazy("Price lists"),
            "pricing:price_list_list",
            roles={Role.ESTIMATOR, Role.SALES_REP, Role.EXECUTIVE, Role.FINANCE},
            order=36,
        )
        panels.register(
            "pricing",
            page="order_entry",
            template="pricing/_order_panel.html",
            context=selectors.order_pricing_panel,
            order=10,
        )
        panels.register(
            "pricing", template="pricing/_order_panel.html", context=selectors.order_pricing_panel, order=10
        )
