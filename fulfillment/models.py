from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from orders.models import QUANTITY, Order, OrderLine, Product, Site

ZERO = Decimal("0")


class StockLevel(models.Model):
    """What a site holds of a product. Always equals the sum of its movements (a test checks)."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    on_hand = models.DecimalField(**QUANTITY, default=ZERO)
    reserved = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ["product", "site"]
        constraints = [
            models.UniqueConstraint(fields=["product", "site"], name="stocklevel_unique_product_site"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_gte_0"),
            # Stock is never promised twice: the database refuses over-reservation.
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stocklevel_reserved_lte_on_hand"),
        ]

    def __str__(self):
        return f"{self.product_id}@{self.site_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """The ledger: every change of a stock level is one row with its deltas."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", gettext_lazy("Receipt")
        RESERVATION = "reservation", gettext_lazy("Reservation")
        RELEASE = "release", gettext_lazy("Release")
        PICK = "pick", gettext_lazy("Pick")
        SHIP = "ship", gettext_lazy("Shipment")
        RETURN = "return", gettext_lazy("Return")
        ADJUSTMENT = "adjustment", gettext_lazy("Adjustment")

    stock = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on_hand_delta = models.DecimalField(**QUANTITY, default=ZERO)
    reserved_delta = models.DecimalField(**QUANTITY, default=ZERO)
    quantity = models.DecimalField(**QUANTITY, help_text=gettext_lazy("The quantity moved, always positive."))
    order_line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey("Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["stock", "created_at"]), models.Index(fields=["order_line"])]

    def __str__(self):
        return f"{self.kind} {self.quantity} ({self.stock_id})"


class Reservation(models.Model):
    """How much of an order line is set aside at a site (released when shipped or cancelled)."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_line", "site"], name="reservation_unique_line_site"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="reservation_quantity_gte_0"),
        ]

    def __str__(self):
        return f"{self.order_line_id}@{self.site_id}: {self.quantity}"


class BackOrder(models.Model):
    """The part of an order line that could not be reserved, with when it is expected."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    expected_date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["expected_date", "id"]
        indexes = [models.Index(fields=["product", "created_at"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="backorder_quantity_gt_0")]

    def __str__(self):
        return f"{self.order_line_id}: {self.quantity} by {self.expected_date}"


class Shipment(models.Model):
    class Status(models.TextChoices):
        PICKING = "picking", gettext_lazy("Picking")  # the pick list is out on the floor
        PACKED = "packed", gettext_lazy("Packed")  # quantities confirmed, packages weighed
        SHIPPED = "shipped", gettext_lazy("Shipped")  # handed to the carrier
        DELIVERED = "delivered", gettext_lazy("Delivered")  # the customer received it
        CANCELLED = "cancelled", gettext_lazy("Cancelled")  # abandoned before shipping; nothing left the site

    number = models.CharField(max_length=30, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PICKING)
    packages = models.PositiveSmallIntegerField(default=0)
    weight_kg = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    carrier = models.CharField(max_length=60, blank=True)
    service = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    ship_date = models.DateField(null=True, blank=True)
    ship_to_third_party = models.BooleanField(
        default=False, help_text=gettext_lazy("Goods go to someone other than the customer (drop shipment).")
    )
    ship_to_name = models.CharField(max_length=200, blank=True)
    ship_to_address = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["order", "status"]),
            # The dashboard's on-time delivery reads shipments delivered in a period.
            models.Index(fields=["delivered_at", "order"], name="shipment_delivered"),
        ]

    def __str__(self):
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity_picked = models.DecimalField(**QUANTITY)
    quantity_packed = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ["shipment", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_unique_order_line"),
            models.CheckConstraint(condition=Q(quantity_picked__gt=0), name="shipmentline_picked_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_packed__gte=0, quantity_packed__lte=F("quantity_picked")),
                name="shipmentline_packed_0_to_picked",
            ),
        ]

    def __str__(self):
        return f"{self.shipment_id}/{self.order_line_id}"
