from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from orders.models import MONEY, QUANTITY, Currency, Customer, Order, Product

ZERO = Decimal("0")
PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(ZERO), MaxValueValidator(100)]}


class PriceList(models.Model):
    """Prices in one currency for a period; items give quantity breaks."""

    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text=gettext_lazy("Empty: open-ended."))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricelist_valid_to_after_from",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.currency})"


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    min_quantity = models.DecimalField(**QUANTITY, default=Decimal("1"))
    unit_price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["price_list", "product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"], name="pricelistitem_unique_break"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pricelistitem_price_gte_0"),
            models.CheckConstraint(condition=Q(min_quantity__gt=0), name="pricelistitem_min_quantity_gt_0"),
        ]

    def __str__(self):
        return f"{self.product_id} ≥{self.min_quantity}: {self.unit_price}"


class CustomerPrice(models.Model):
    """A price agreed with one customer for one product (beats every list)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    unit_price = models.DecimalField(**MONEY)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "product", "-valid_from"]
        indexes = [models.Index(fields=["customer", "product", "valid_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="customerprice_price_gte_0"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="customerprice_valid_to_after_from",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id}/{self.product_id}: {self.unit_price}"


class Discount(models.Model):
    """A standing discount for a customer or a customer tier, optionally on one product family."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=20, choices=Customer.Tier.choices, blank=True)
    product_family = models.CharField(max_length=80, blank=True, help_text=gettext_lazy("Empty: every product."))
    percent = models.DecimalField(**PERCENT)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-percent"]
        constraints = [
            models.CheckConstraint(condition=Q(customer__isnull=False) | ~Q(tier=""), name="discount_customer_or_tier"),
        ]

    def __str__(self):
        return f"{self.percent}% {self.customer_id or self.tier} {self.product_family}"


class FreightZone(models.Model):
    """What delivering to a destination costs us: a flat amount per order plus a share of its value."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    flat_cost = models.DecimalField(**MONEY, default=ZERO)
    percent_of_value = models.DecimalField(**PERCENT, default=ZERO)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="freightzone_one_default")
        ]

    def __str__(self):
        return self.name


class CustomerDestination(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(FreightZone, on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"{self.customer_id} -> {self.zone_id}"


class CostEstimate(models.Model):
    """What an order costs to serve, and so its margin. Recomputed whenever it is priced."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="+")
    material = models.DecimalField(**MONEY)
    labour = models.DecimalField(**MONEY)
    setup = models.DecimalField(**MONEY)
    freight = models.DecimalField(**MONEY)
    total_cost = models.DecimalField(**MONEY)
    revenue = models.DecimalField(**MONEY)
    margin = models.DecimalField(**MONEY)
    margin_percent = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    computed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.order_id}: margin {self.margin}"


class PriceApproval(models.Model):
    """A discount or margin past the threshold, waiting for (or given) an estimator's or manager's
    approval. The rows are the approval events: who asked, why, who decided, when."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for approval")
        APPROVED = "approved", gettext_lazy("Approved")
        REJECTED = "rejected", gettext_lazy("Rejected")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # What was approved: a later change to prices or discounts needs a new approval.
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self):
        return f"{self.order_id}: {self.status}"


class Quote(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=30, unique=True)
    valid_until = models.DateField()
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_to = models.EmailField(blank=True)

    def __str__(self):
        return self.number
