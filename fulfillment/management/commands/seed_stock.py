"""Demo stock on top of `seed_demo`: goods on hand per product and site, and reservations for
the demo orders waiting to ship. Safe to run again: it does nothing once stock exists.

Opening stock goes in as bulk rows (each level with its receipt in the ledger, so a level
still equals the sum of its movements); reservations go through the real service, for the
`--reserve-limit` oldest waiting orders (every one of them in the 2,000-order demo)."""

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from fulfillment import services
from fulfillment.models import StockLevel, StockMovement
from orders.models import Order, Product, Site
from orders.states import OrderStatus


class Command(BaseCommand):
    help = "Receive demo stock for the demo products and reserve it for the demo orders waiting to ship."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--reserve-limit", type=int, default=2000, help="Reserve for at most this many orders (default 2000)."
        )

    def handle(self, *args, seed, reserve_limit, **options):
        if StockLevel.objects.exists():
            self.stdout.write("Stock exists already; nothing done.")
            return
        rng = random.Random(f"{seed}-stock")
        warehouse = get_user_model().objects.filter(username="warehouse").first()
        sites = list(Site.objects.order_by("code"))
        levels = []
        for product_id in Product.objects.filter(active=True).order_by("sku").values_list("id", flat=True):
            for site in rng.sample(sites, k=rng.randint(0, len(sites))):
                quantity = Decimal(rng.choice([5, 20, 50, 200]))
                levels.append(StockLevel(product_id=product_id, site_id=site.pk, on_hand=quantity))
        now = timezone.now()
        with transaction.atomic():
            StockLevel.objects.bulk_create(levels, batch_size=5000)
            StockMovement.objects.bulk_create(
                [
                    StockMovement(
                        stock=level,
                        kind=StockMovement.Kind.RECEIPT,
                        quantity=level.on_hand,
                        on_hand_delta=level.on_hand,
                        note="Opening stock",
                        created_by=warehouse,
                        created_at=now,
                    )
                    for level in levels
                ],
                batch_size=5000,
            )
        waiting = Order.objects.filter(
            status__in=[OrderStatus.ACCEPTED, OrderStatus.READY_TO_SHIP, OrderStatus.PARTIALLY_SHIPPED]
        ).order_by("created_at", "id")[:reserve_limit]
        reserved = sum(
            1
            for order_id in waiting.values_list("id", flat=True)
            if services.order_reserve_stock(order_id=order_id)["reserved"] > 0
        )
        self.stdout.write(
            self.style.SUCCESS(f"Received {len(levels)} stock lines; reserved stock for {reserved} orders.")
        )
