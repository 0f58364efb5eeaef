"""Reference rows every move reads and only an administrator changes: the service level per
status (each hand-off's due time) and the priority weights (each submit's score). Kept in the
shared cache (Redis in production, so every worker sees a change at once) and dropped whenever a
row is saved or deleted, at once and again after the commit."""

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import PriorityWeights, StepServiceLevel

SERVICE_LEVELS_KEY = "orders:reference:service-levels"
PRIORITY_WEIGHTS_KEY = "orders:reference:priority-weights"


def service_levels() -> dict[str, Decimal]:
    """{status: hours} of the StepServiceLevel rows."""
    levels = cache.get(SERVICE_LEVELS_KEY)
    if levels is None:
        levels = dict(StepServiceLevel.objects.values_list("status", "hours"))
        cache.set(SERVICE_LEVELS_KEY, levels, timeout=None)
    return levels


def service_level_hours(status: str) -> Decimal:
    level = service_levels().get(status)
    return level if level is not None else Decimal(settings.OMC_DEFAULT_SERVICE_LEVEL_HOURS)


def priority_weights() -> PriorityWeights:
    """The one row of weights (created with the defaults on first use)."""
    weights = cache.get(PRIORITY_WEIGHTS_KEY)
    if weights is None:
        weights, _created = PriorityWeights.objects.get_or_create(pk=1)
        cache.set(PRIORITY_WEIGHTS_KEY, weights, timeout=None)
    return weights


def clear() -> None:
    cache.delete_many([SERVICE_LEVELS_KEY, PRIORITY_WEIGHTS_KEY])


def _changed(sender, created=False, **kwargs) -> None:
    key = SERVICE_LEVELS_KEY if sender is StepServiceLevel else PRIORITY_WEIGHTS_KEY
    cache.delete(key)
    if sender is PriorityWeights and created:
        return  # its first read creating the one row: no one can have cached another row
    # A read in another transaction before this one commits may have cached the old row again.
    transaction.on_commit(lambda: cache.delete(key))


for model in (StepServiceLevel, PriorityWeights):
    post_save.connect(_changed, sender=model, dispatch_uid=f"orders.reference.{model.__name__}.save")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"orders.reference.{model.__name__}.delete")
