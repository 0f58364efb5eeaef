"""Demo returns on top of `seed_shipments`: a customer sends back one unit of a recently delivered
demo order (approved, waiting to arrive) and another asks to return a damaged unit (waiting
for customer service to approve it). Does nothing once any RMA exists.

--bulk: ~3 % of the delivered demo order lines come back, completed RMAs written at once,
set-based from the orders' events (returns/bulk.py; for 100,000+ orders). Orders that have
returns are skipped, so a second run does nothing."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from orders import bulk
from orders.models import OrderLine
from orders.states import OrderStatus
from returns import selectors, services
from returns.bulk import returns_bulk_seed
from returns.models import ReturnAuthorization

RMA = ReturnAuthorization


class Command(BaseCommand):
    help = "Open two demo RMAs against delivered demo orders (one approved, one waiting for approval)."

    def add_arguments(self, parser):
        bulk.add_arguments(parser)

    def handle(self, *args, **options):
        if options["bulk"]:
            bulk.command_run(self, returns_bulk_seed, facts=not options["no_facts"])
            return
        self.demo_returns()

    @transaction.atomic
    def demo_returns(self):
        if RMA.objects.exists():
            self.stdout.write("RMAs exist already; nothing done.")
            return
        service = get_user_model().objects.filter(username="service").first()
        if service is None:
            self.stdout.write("No demo 'service' user; run seed_demo first.")
            return
        recent = timezone.now() - timedelta(days=selectors.return_policy().days_since_delivery)
        lines = (
            OrderLine.objects.filter(
                order__status=OrderStatus.DELIVERED,
                quantity_shipped__gte=1,
                order__events__action="deliver",
                order__events__created_at__gte=recent,
            )
            .select_related("order__customer")
            .order_by("order__created_at", "line_no")
        )
        picked = []
        for line in lines:
            if line.order_id not in {other.order_id for other in picked}:
                picked.append(line)
            if len(picked) == 2:
                break
        if not picked:
            self.stdout.write("No delivered demo orders yet; run seed_shipments first.")
            return
        created = []
        kinds = [(RMA.Reason.DEFECTIVE, True), (RMA.Reason.DAMAGED, False)]
        for line, (reason, approve) in zip(picked, kinds, strict=False):
            rma = services.rma_create(
                customer=line.order.customer,
                lines={line.pk: Decimal("1")},
                reason=reason,
                resolution=RMA.Resolution.REFUND,
                user=service,
                note="Reported by phone",
            )
            if approve:
                services.rma_approve(rma_id=rma.pk, user=service)
            created.append(rma.number)
        self.stdout.write(self.style.SUCCESS(f"Opened {len(created)} RMAs: {', '.join(created)}."))
