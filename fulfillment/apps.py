from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self):
        from orders import navigation, outbox, panels, providers
        from orders.roles import Role

        from . import handlers, selectors, services

        outbox.register("order.accept", handlers.on_order_accepted)
        providers.register("promise", selectors.promise_from_stock)
        outbox.register("order.cancel", handlers.on_order_cancelled)
        outbox.register(services.TOPIC_STOCK_ARRIVED, handlers.on_stock_arrived)
        outbox.register("scheduling.produced", handlers.on_goods_produced)
        outbox.register("returns.restock", handlers.on_goods_returned)
        warehouse = {Role.WAREHOUSE, Role.EXECUTIVE, Role.CUSTOMER_SERVICE, Role.SCHEDULER}
        navigation.register("Pick lists", "fulfillment:pick_list", roles={Role.WAREHOUSE, Role.EXECUTIVE}, order=40)
        navigation.register("Stock", "fulfillment:stock_list", roles=warehouse | {Role.SALES_REP}, order=41)
        navigation.register("Shipments", "fulfillment:shipment_list", roles=warehouse, order=42)
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
