from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from orders.models import MONEY, QUANTITY, Currency, Customer, Order, OrderLine, Product

ZERO = Decimal("0")
RATE = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(ZERO), MaxValueValidator(100)]}


class CustomerTaxRate(models.Model):
    """A customer's own VAT/sales-tax rate (export, exempt, reduced); beats the product's."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    rate_percent = models.DecimalField(**RATE)
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.customer_id}: {self.rate_percent}%"


class ProductTaxRate(models.Model):
    """A product's tax rate where it differs from the standard one."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="+")
    rate_percent = models.DecimalField(**RATE)

    def __str__(self):
        return f"{self.product_id}: {self.rate_percent}%"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", gettext_lazy("Invoice")
        CREDIT_NOTE = "credit_note", gettext_lazy("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")  # drafted from shipments; finance reviews it
        QUERIED = "queried", gettext_lazy("Returned to sales")  # finance asked sales a question; sales answers
        POSTED = "posted", gettext_lazy("Posted")  # numbered, sent, immutable; corrections are credit notes
        CANCELLED = (
            "cancelled",
            gettext_lazy("Cancelled"),
        )  # a draft withdrawn before posting; its quantities are free again

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(max_length=30, null=True, blank=True, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        help_text=gettext_lazy("Empty for an invoice consolidating several orders."),
    )
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    customer_po = models.CharField("customer PO", max_length=60, blank=True)
    language = models.CharField(max_length=10, default="en")
    send_to = models.EmailField(blank=True)
    # What made it, so a repeated hand-off or consolidation run finds it instead of making another.
    source_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    tax_total = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    amount_paid = models.DecimalField(**MONEY, default=ZERO)
    amount_credited = models.DecimalField(**MONEY, default=ZERO)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    question = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text=gettext_lazy("Why a credit note was issued."))
    created_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True, help_text=gettext_lazy("A claim was opened against it."))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "kind", "created_at"]),
            models.Index(fields=["customer", "status"]),
            models.Index(
                fields=["due_date"], condition=Q(status="posted", paid_at__isnull=True), name="invoice_open_due"
            ),
            # The dashboard: posted invoices by issue date (billing accuracy, DSO) and by payment (DSO).
            models.Index(
                fields=["issue_date"], condition=Q(status="posted", kind="invoice"), name="invoice_posted_issued"
            ),
            models.Index(fields=["paid_at"], condition=Q(status="posted", kind="invoice"), name="invoice_posted_paid"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="posted", number__isnull=False) | ~Q(status="posted"),
                name="invoice_posted_has_number",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_credited__gte=0), name="invoice_amounts_gte_0"
            ),
        ]

    def __str__(self):
        return self.number or f"draft #{self.pk}"

    @property
    def balance(self) -> Decimal:
        """What the customer still owes; negative when a credit note came after payment, i.e. a
        refund is due to the customer."""
        return self.total - self.amount_paid - self.amount_credited

    @property
    def refund_due(self) -> Decimal:
        return max(ZERO, -self.balance)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300)
    delivery_note = models.CharField(max_length=200, blank=True, help_text=gettext_lazy("Shipment number(s)."))
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**MONEY)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    tax_rate_percent = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    net_amount = models.DecimalField(**MONEY)
    tax_amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoiceline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="invoiceline_unit_price_gte_0"),
        ]

    def __str__(self):
        return f"{self.invoice_id}: {self.quantity} × {self.description}"


class InvoiceEdit(models.Model):
    """Finance changed a draft: what, why and who — kept forever."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="edits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300)
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.invoice_id}: {self.reason}"


class Payment(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    received_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    unallocated = models.DecimalField(**MONEY, default=ZERO)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(condition=Q(unallocated__gte=0), name="payment_unallocated_gte_0"),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.amount} {self.currency}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_gt_0")]

    def __str__(self):
        return f"{self.payment_id} -> {self.invoice_id}: {self.amount}"
