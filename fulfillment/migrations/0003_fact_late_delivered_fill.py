"""Fill the new OrderFact.late_delivered_at (orders 0023) for the shipments delivered before it
existed: the latest delivery after the order's promised date, per order. Derived data only; the
live refresh keeps it from here on (fulfillment's fact contribution)."""

from django.db import migrations
from django.db.models import F, Max, OuterRef, Subquery


def fill(apps, schema_editor):
    Shipment = apps.get_model("fulfillment", "Shipment")
    OrderFact = apps.get_model("orders", "OrderFact")
    late = Shipment.objects.filter(delivered_at__isnull=False, delivered_at__date__gt=F("order__promised_date"))
    latest = late.filter(order_id=OuterRef("order_id")).values("order_id").annotate(at=Max("delivered_at")).values("at")
    OrderFact.objects.filter(order_id__in=late.values("order_id")).update(late_delivered_at=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0002_shipment_delivered_index"),
        ("orders", "0023_fact_late_delivered"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
