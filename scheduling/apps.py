from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        from orders import navigation, outbox, panels, providers

        from . import handlers, promising, selectors
        from .access import READERS

        outbox.register(handlers.TOPIC_BACKORDERED, handlers.on_backordered)
        outbox.register("order.cancel", handlers.on_order_cancelled)
        panels.register(
            "spare_capacity",
            page="sell_now",
            template="scheduling/_sell_now_panel.html",
            context=promising.sell_now_spare_capacity,
            order=20,
        )
        providers.register("promises", promising.promises_from_capacity)
        providers.register("score", promising.score_capacity_fit)
        navigation.register(gettext_lazy("Planning board"), "scheduling:board", roles=READERS, order=35)
        navigation.register(gettext_lazy("Expedites"), "scheduling:expedite_list", roles=READERS, order=36)
        panels.register(
            "scheduling", template="scheduling/_order_panel.html", context=selectors.order_scheduling_panel, order=15
        )
