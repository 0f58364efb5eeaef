from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from orders.models import MONEY, QUANTITY, Customer, Order, OrderLine, Site

ZERO = Decimal("0")


class ReturnPolicy(models.Model):
    """The one return policy (row pk=1), set by customer service: how long after delivery goods
    may come back, and how long finance has to credit them."""

    days_since_delivery = models.PositiveSmallIntegerField(default=30)
    approval_hours = models.DecimalField(
        max_digits=7, decimal_places=2, default=Decimal("24"), validators=[MinValueValidator(Decimal("0.1"))]
    )
    refund_hours = models.DecimalField(
        max_digits=7, decimal_places=2, default=Decimal("48"), validators=[MinValueValidator(Decimal("0.1"))]
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "return policy"

    def __str__(self):
        return f"{self.days_since_delivery} days; refund within {self.refund_hours} h"


class ReturnAuthorization(models.Model):
    """An RMA: goods a customer may send back, from one or more of its delivered orders."""

    class Status(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("Requested")  # customer service recorded it; waits for approval
        APPROVED = "approved", gettext_lazy("Approved")  # within policy; number and label go to the customer
        REJECTED = "rejected", gettext_lazy("Rejected")  # refused with a reason (final)
        RECEIVED = "received", gettext_lazy("Received")  # the goods are back at a site; the warehouse inspects them
        CREDIT_PENDING = "credit_pending", gettext_lazy("Credit pending")  # inspected; finance owes a credit note
        COMPLETED = "completed", gettext_lazy("Completed")  # credited, replaced or repaired (final)
        CANCELLED = "cancelled", gettext_lazy("Cancelled")  # withdrawn before the goods came back (final)

    class Reason(models.TextChoices):
        DEFECTIVE = "defective", gettext_lazy("Defective")
        DAMAGED = "damaged", gettext_lazy("Damaged in transit")
        WRONG_ITEM = "wrong_item", gettext_lazy("Wrong item shipped")
        NOT_AS_DESCRIBED = "not_as_described", gettext_lazy("Not as described")
        NO_LONGER_NEEDED = "no_longer_needed", gettext_lazy("No longer needed")
        OTHER = "other", gettext_lazy("Other")

    class Resolution(models.TextChoices):
        REFUND = "refund", gettext_lazy("Refund / credit note")
        REPLACEMENT = "replacement", gettext_lazy("Replacement")
        REPAIR = "repair", gettext_lazy("Repair")

    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    resolution = models.CharField(max_length=20, choices=Resolution.choices)
    note = models.TextField(blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rejection_reason = models.CharField(max_length=500, blank=True)
    credit_failure = models.CharField(
        max_length=500, blank=True, help_text=gettext_lazy("Why billing could not credit yet.")
    )
    credit_note_numbers = models.CharField(max_length=300, blank=True)
    replacement_order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("Made for this return."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspected_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["customer", "-created_at"])]

    def __str__(self):
        return self.number

    @property
    def handoff_kind(self) -> str:
        return f"refund:{self.number}"


class ReturnLine(models.Model):
    class Disposition(models.TextChoices):
        RESTOCK = "restock", gettext_lazy("Restock")  # as good as new: back on the shelf
        SCRAP = "scrap", gettext_lazy("Scrap")  # not sellable
        REPAIR = "repair", gettext_lazy("Repair")  # to the workshop, then back to the customer

    rma = models.ForeignKey(ReturnAuthorization, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, help_text=gettext_lazy("Authorized to come back."))
    quantity_received = models.DecimalField(**QUANTITY, default=ZERO)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    inspection_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["rma", "order_line__order_id", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["rma", "order_line"], name="returnline_unique_order_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__gte=0, quantity_received__lte=F("quantity")),
                name="returnline_received_0_to_quantity",
            ),
        ]
        indexes = [models.Index(fields=["order_line"])]

    def __str__(self):
        return f"{self.rma_id}/{self.order_line_id}"


class Claim(models.Model):
    """A customer disputes an invoice: goods missing or damaged, or the price."""

    class Kind(models.TextChoices):
        SHORTAGE = "shortage", gettext_lazy("Shortage")
        DAMAGE = "damage", gettext_lazy("Damage")
        PRICE_DISPUTE = "price_dispute", gettext_lazy("Price dispute")

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")  # recorded; the invoice counts as disputed
        CREDIT_PENDING = "credit_pending", gettext_lazy("Credit pending")  # accepted; finance owes a credit note
        CREDITED = "credited", gettext_lazy("Credited")  # resolved by a credit note (final)
        REJECTED = "rejected", gettext_lazy("Rejected")  # refused with a reason (final)

    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    # Billing owns invoices; returns keeps the id and number it was given (it may not import billing).
    invoice_id = models.PositiveIntegerField()
    invoice_number = models.CharField(max_length=30, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    description = models.TextField()
    rejection_reason = models.CharField(max_length=500, blank=True)
    credit_failure = models.CharField(max_length=500, blank=True)
    credit_note_numbers = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["invoice_id"])]

    def __str__(self):
        return self.number

    @property
    def handoff_kind(self) -> str:
        return f"refund:{self.number}"


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text=gettext_lazy("Credit per unit; empty: the invoiced price (price disputes: the difference)."),
    )

    class Meta:
        ordering = ["claim", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "order_line"], name="claimline_unique_order_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="claimline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gt=0), name="claimline_unit_price_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.claim_id}/{self.order_line_id}"
