from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Order planning"

    def ready(self):
        from orders import navigation

        from .permissions import ACCURACY_READERS, CAPACITY_READERS, CONSENSUS_READERS, PLANNING_USERS

        navigation.register(gettext_lazy("Forecasts"), "planning:home", roles=PLANNING_USERS, order=60)
        navigation.register(gettext_lazy("Consensus"), "planning:consensus", roles=CONSENSUS_READERS, order=61)
        navigation.register(gettext_lazy("Accuracy"), "planning:accuracy", roles=ACCURACY_READERS, order=62)
        navigation.register(gettext_lazy("Capacity plan"), "planning:capacity", roles=CAPACITY_READERS, order=63)
