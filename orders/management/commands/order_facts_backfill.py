import time

from django.core.management.base import BaseCommand

from orders.services import order_facts_backfill


class Command(BaseCommand):
    help = "Rebuild the dashboard's per-order facts and event end times, set-based (after a bulk load or restore)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-events",
            action="store_true",
            help="Keep the event end times (the loader wrote them): facts and rollups only, e.g. after the "
            "step apps' bulk seeds.",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = order_facts_backfill(events=not options["no_events"])
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['facts']:,} order facts rebuilt, {result['events']:,} event end times set "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )
