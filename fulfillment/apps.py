from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self):
        from django.db.models import Max, Min

        from orders import facts, navigation, outbox, panels, providers
        from orders import services as order_services
        from orders.roles import Role

        from . import handlers, selectors, services
        from .models import Shipment

        outbox.register("order.accept", handlers.on_order_accepted)
        providers.register("promises", selectors.promises_from_stock)
        outbox.register("order.cancel", handlers.on_order_cancelled)
        outbox.register(services.TOPIC_STOCK_ARRIVED, handlers.on_stock_arrived)
        outbox.register("scheduling.produced", handlers.on_goods_produced)
        outbox.register("returns.restock", handlers.on_goods_returned)
        order_services.reaction_register("deliver", services.on_order_delivered)
        # The dashboard's fill rate (late shipments), return rate (first shipment's month) and
        # late orders (the latest delivery after the promised date).
        facts.register(
            columns=("first_shipped_at", "last_shipped_at", "late_delivered_at"),
            query=lambda: (
                Shipment.objects.filter(shipped_at__isnull=False)
                .values("order_id")
                .annotate(
                    first_shipped_at=Min("shipped_at"),
                    last_shipped_at=Max("shipped_at"),
                    late_delivered_at=Max("delivered_at", filter=selectors.LATE),
                )
            ),
        )
        # The dashboard's on-time delivery, summed per day of delivery (orders.KpiDay).
        facts.register_days(columns=("deliveries", "deliveries_on_time"), query=selectors.deliveries_per_day)
        warehouse = {Role.WAREHOUSE, Role.EXECUTIVE, Role.CUSTOMER_SERVICE, Role.SCHEDULER}
        navigation.register(
            gettext_lazy("Pick lists"), "fulfillment:pick_list", roles={Role.WAREHOUSE, Role.EXECUTIVE}, order=40
        )
        navigation.register(
            gettext_lazy("Stock"), "fulfillment:stock_list", roles=warehouse | {Role.SALES_REP}, order=41
        )
        navigation.register(gettext_lazy("Shipments"), "fulfillment:shipment_list", roles=warehouse, order=42)
        panels.register(
            "in_stock",
            page="sell_now",
            template="fulfillment/_sell_now_panel.html",
            context=selectors.sell_now_in_stock,
            order=10,
        )
        panels.register(
            "fulfillment", template="fulfillment/_order_panel.html", context=selectors.order_fulfillment_panel, order=20
        )
