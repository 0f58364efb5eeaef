"""Demo cost estimates: the committed demo orders that have none get the estimate the pricing
service computes (`cost_estimate_compute`), the oldest first, `--orders` of them.

--bulk: every committed order without an estimate gets it at once, computed in SQL the same way
(pricing/bulk.py; for 100,000+ orders). A second run does nothing."""

from django.core.management.base import BaseCommand

from orders import bulk
from orders.facts import NOT_COMMITTED
from orders.models import Order
from pricing.bulk import estimates_bulk_seed
from pricing.models import CostEstimate
from pricing.services import cost_estimate_compute


class Command(BaseCommand):
    help = "Cost estimates for committed demo orders that have none (the dashboard's margin)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=200, help="How many orders (default 200).")
        bulk.add_arguments(parser)

    def handle(self, *args, orders, **options):
        if options["bulk"]:
            bulk.command_run(self, estimates_bulk_seed, facts=not options["no_facts"])
            return
        estimated = CostEstimate.objects.values("order_id")
        todo = (
            Order.objects.exclude(status__in=NOT_COMMITTED)
            .exclude(pk__in=estimated)
            .order_by("created_at", "pk")[:orders]
        )
        count = 0
        for order in todo:
            cost_estimate_compute(order=order)
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Estimated {count} orders."))
