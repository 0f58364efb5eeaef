from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AftersalesConfig(AppConfig):
    name = "aftersales"

    def ready(self):
        from orders import navigation, panels
        from orders.roles import Role

        from . import selectors

        navigation.register(gettext_lazy("Service"), "aftersales:ticket_list", roles=selectors.READERS, order=60)
        navigation.register(gettext_lazy("Visits"), "aftersales:visit_list", roles=selectors.READERS, order=61)
        navigation.register(gettext_lazy("Maintenance"), "aftersales:plan_list", roles=selectors.READERS, order=62)
        navigation.register(
            gettext_lazy("Field feedback"),
            "aftersales:feedback_list",
            roles={Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.EXECUTIVE},
            order=63,
        )
        panels.register(
            "aftersales",
            page="customer",
            template="aftersales/_customer_panel.html",
            context=selectors.customer_service_panel,
            order=20,
        )
        panels.register(
            "aftersales", template="aftersales/_order_panel.html", context=selectors.order_service_panel, order=45
        )
