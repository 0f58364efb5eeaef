"""Demo shipments on top of `seed_stock`: the oldest orders ready to ship go out through the real
pick -> pack -> ship path (so billing drafts their invoices through the hand-off), and half of
them are confirmed delivered. Does nothing once any shipment exists.

--bulk: every shipped demo order gets its shipments at once, set-based from its events
(fulfillment/bulk.py; for 100,000+ orders, where the services order by order do not scale).
Orders that have shipments are skipped, so a second run does nothing."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from fulfillment import services
from fulfillment.bulk import shipments_bulk_seed
from fulfillment.models import Reservation, Shipment
from orders import bulk
from orders.models import Order
from orders.states import OrderStatus

CARRIERS = ["DHL", "UPS", "FedEx", "Kerry Express"]


class Command(BaseCommand):
    help = "Ship the oldest demo orders that are ready to ship, and confirm delivery of half of them."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=8, help="How many orders to ship (default 8).")
        bulk.add_arguments(parser)

    def handle(self, *args, orders, **options):
        if options["bulk"]:
            bulk.command_run(self, shipments_bulk_seed, facts=not options["no_facts"])
            return
        if Shipment.objects.exists():
            self.stdout.write("Shipments exist already; nothing done.")
            return
        warehouse = get_user_model().objects.filter(username="warehouse").first()
        if warehouse is None:
            self.stdout.write("No demo 'warehouse' user; run seed_demo first.")
            return
        ready = Order.objects.filter(status=OrderStatus.READY_TO_SHIP).order_by("created_at", "pk")[:orders]
        shipped = delivered = 0
        for index, order in enumerate(ready):
            site_ids = (
                Reservation.objects.filter(order_line__order=order, quantity__gt=0)
                .values_list("site_id", flat=True)
                .distinct()
            )
            shipments = []
            for site_id in sorted(site_ids):
                shipment = services.shipment_start(order_id=order.pk, site_id=site_id, user=warehouse)
                services.shipment_pack(
                    shipment_id=shipment.pk, quantities={}, packages=1 + index % 3, weight_kg=5 + index, user=warehouse
                )
                services.shipment_ship(
                    shipment_id=shipment.pk,
                    carrier=CARRIERS[index % len(CARRIERS)],
                    service="Standard",
                    tracking_number=f"TRK{order.pk:08d}{site_id}",
                    ship_date=timezone.localdate(),
                    user=warehouse,
                )
                shipments.append(shipment)
            if not shipments:
                continue
            shipped += 1
            if index % 2 == 0:
                for shipment in shipments:
                    services.shipment_deliver(shipment_id=shipment.pk, user=warehouse)
                delivered += 1
        self.stdout.write(self.style.SUCCESS(f"Shipped {shipped} orders; {delivered} confirmed delivered."))
