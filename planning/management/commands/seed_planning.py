"""Demo planning figures on top of `seed_demo`: both sources' forecasts for the last 12 months
(so accuracy has something to measure) and the next 12, and a consensus for next month."""

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import DateField, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from orders.models import OrderLine, Product
from planning.models import Consensus, Forecast, ForecastVersion, Source
from planning.months import first_open_month, months_ahead
from planning.selectors import NOT_DEMAND, accuracy_window

# Sales tends to see more than comes, production less: the demo shows both biases.
BIAS = {Source.SALES: 1.15, Source.PRODUCTION: 0.95}
USERS = {Source.SALES: "sales", Source.PRODUCTION: "scheduler"}


class Command(BaseCommand):
    help = "Load demo forecasts and a consensus (past months are written directly: they are closed to users)."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=200, help="How many products get figures.")
        parser.add_argument("--seed", type=int, default=7)

    @transaction.atomic
    def handle(self, *args, products, seed, **options):
        if Forecast.objects.exists():
            self.stdout.write("Planning figures exist already; nothing done.")
            return
        rng = random.Random(seed)
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["sales", "scheduler", "planner"])}
        chosen = list(Product.objects.filter(active=True).order_by("sku")[:products])
        first, end = accuracy_window()
        actual = {
            (row["product_id"], row["month"]): row["total"]
            for row in OrderLine.objects.filter(
                product__in=chosen, order__created_at__date__gte=first, order__created_at__date__lt=end
            )
            .exclude(order__status__in=NOT_DEMAND)
            .annotate(month=TruncMonth("order__created_at", output_field=DateField()))
            .values("product_id", "month")
            .annotate(total=Sum("quantity_ordered"))
        }
        now = timezone.now()
        past, future = months_ahead(first=first, count=12), months_ahead(first=first_open_month())
        forecasts = []
        for source in Source:
            for product in chosen:
                for month in past + future:
                    base = actual.get((product.pk, month)) or Decimal(rng.randint(0, 40))
                    noisy = float(base) * BIAS[source] * rng.uniform(0.8, 1.2)
                    forecasts.append(
                        Forecast(
                            product=product,
                            source=source,
                            month=month,
                            quantity=Decimal(round(noisy)),
                            version=1,
                            updated_by=users.get(USERS[source]),
                            updated_at=now,
                        )
                    )
        Forecast.objects.bulk_create(forecasts, batch_size=5000)
        ForecastVersion.objects.bulk_create(
            [
                ForecastVersion(forecast=f, version=1, quantity=f.quantity, created_by=f.updated_by, created_at=now)
                for f in forecasts
            ],
            batch_size=5000,
        )
        by_key = {(f.product_id, f.source, f.month): f.quantity for f in forecasts}
        month = future[0]
        Consensus.objects.bulk_create(
            [
                Consensus(
                    product=product,
                    month=month,
                    quantity=(
                        by_key[(product.pk, Source.SALES, month)] + by_key[(product.pk, Source.PRODUCTION, month)]
                    )
                    / 2,
                    rationale="Demo: halfway between sales and production.",
                    set_by=users.get("planner"),
                    set_at=now,
                )
                for product in chosen[: len(chosen) // 2]
            ]
        )
        self.stdout.write(f"{len(forecasts)} forecasts for {len(chosen)} products, consensus for {month:%Y-%m}.")
