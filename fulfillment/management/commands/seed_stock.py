"""Demo stock on top of `seed_demo`: goods on hand per product and site, and reservations for
the demo orders waiting to ship. Safe to run again: it does nothing once stock exists."""

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from fulfillment import services
from fulfillment.models import StockLevel
from orders.models import Order, Product, Site
from orders.states import OrderStatus


class Command(BaseCommand):
    help = "Receive demo stock for the demo products and reserve it for the demo orders waiting to ship."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, seed, **options):
        if StockLevel.objects.exists():
            self.stdout.write("Stock exists already; nothing done.")
            return
        rng = random.Random(f"{seed}-stock")
        warehouse = get_user_model().objects.filter(username="warehouse").first()
        sites = list(Site.objects.order_by("code"))
        received = 0
        for product in Product.objects.filter(active=True).order_by("sku"):
            for site in rng.sample(sites, k=rng.randint(0, len(sites))):
                services.stock_receive(
                    product=product,
                    site=site,
                    quantity=Decimal(rng.choice([5, 20, 50, 200])),
                    user=warehouse,
                    note="Opening stock",
                )
                received += 1
        waiting = Order.objects.filter(
            status__in=[OrderStatus.ACCEPTED, OrderStatus.READY_TO_SHIP, OrderStatus.PARTIALLY_SHIPPED]
        ).order_by("created_at")
        reserved = sum(1 for order in waiting if services.order_reserve_stock(order_id=order.pk)["reserved"] > 0)
        self.stdout.write(self.style.SUCCESS(f"Received {received} stock lines; reserved stock for {reserved} orders."))
