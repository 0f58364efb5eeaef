from django.core.management.base import BaseCommand

from orders import entry
from orders.models import Order
from orders.states import FINAL_STATUSES, OrderStatus


class Command(BaseCommand):
    help = "Give open orders without a priority score their score (the demo's history has none)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=5000)

    def handle(self, *args, limit, **options):
        weights = entry.priority_weights()
        closed = [*FINAL_STATUSES, OrderStatus.PAID]
        waiting = (
            Order.objects.filter(priority_score__isnull=True)
            .exclude(status__in=closed)
            .select_related("customer")
            .order_by("-created_at")[:limit]
        )
        count = 0
        for order in waiting:
            entry.order_rescore(order=order, weights=weights)
            count += 1
        self.stdout.write(f"Scored {count} open orders.")
