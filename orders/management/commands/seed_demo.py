import time

from django.core.management.base import BaseCommand, CommandError

from orders.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from orders.models import Order
from orders.progress import Progress


class Command(BaseCommand):
    help = "Load the demo company: a user per role, customers, products, sites and orders in every status."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=2000, help="How many orders (default 2000).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if orders already exist.")

    def handle(self, *args, orders, seed, if_empty, **options):
        if orders < 0 or orders > 5_000_000:
            raise CommandError("--orders must be between 0 and 5,000,000.")
        if if_empty and Order.objects.exists():
            self.stdout.write("Demo data already loaded; nothing to do.")
            return
        started = time.perf_counter()

        tracker = Progress(total=orders, label="orders", stream=self.stderr._out)

        def progress(done, total, note=""):
            tracker.advance(done - tracker.count)
            if note:
                self.stderr.write(f"orders: {note}")

        result = seed_demo(orders=orders, seed=seed, progress=progress if options["verbosity"] else None)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.orders} orders, {result.lines} lines, {result.events} events, "
                f"{result.handoffs} hand-offs, {result.customers} customers, {result.products} products "
                f"in {elapsed:.1f} s."
            )
        )
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for role, (username, *_names) in DEMO_USERS.items():
            self.stdout.write(f"  {username:10} {role.label}")
