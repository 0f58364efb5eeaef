"""Put the demo company's production on the planning board (after `seed_demo`).

Orders in production planning (accepted, scheduled, in production) that have no jobs get
them from their lines' routings, as if their quantities were back-ordered; then the
auto-scheduler places them from today and, for orders already in production, the first
operation of each line is started. Safe to run again: orders with jobs are left alone.
"""

from django.core.management.base import BaseCommand
from django.db.models import Exists, OuterRef

from orders.models import Order
from orders.states import OrderStatus
from scheduling import services
from scheduling.models import Job


class Command(BaseCommand):
    help = "Create and place production jobs for the demo orders in production planning."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=400, help="At most this many orders (default 400).")

    def handle(self, *args, limit, **options):
        statuses = (OrderStatus.ACCEPTED, OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION)
        orders = (
            Order.objects.filter(status__in=statuses)
            .exclude(Exists(Job.objects.filter(order_id=OuterRef("pk"))))
            .prefetch_related("lines")
            .order_by("promised_date", "id")[:limit]
        )
        created = 0
        for order in orders:
            lines = {line.pk: line.quantity_ordered - line.quantity_shipped for line in order.lines.all()}
            created += services.jobs_create_from_backorder(
                order_id=order.pk, lines={k: v for k, v in lines.items() if v > 0}
            )
        result = services.jobs_schedule_automatically(actor=None)
        started = 0
        first_ops = Job.objects.filter(order__status=OrderStatus.IN_PRODUCTION, state=Job.State.SCHEDULED).exclude(
            Exists(Job.objects.filter(order_line_id=OuterRef("order_line_id"), sequence__lt=OuterRef("sequence")))
        )
        for job_id in first_ops.values_list("id", flat=True):
            services.job_start(job_id=job_id, actor=None)
            started += 1
        self.stdout.write(
            f"{created} jobs created; {result['placed']} placed, {result['left']} left unscheduled, "
            f"{result['late']} late; {started} started."
        )
