from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from .roles import Department, Role
from .states import OrderStatus, Step

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
ZERO = Decimal("0")


class Currency(models.TextChoices):
    EUR = "EUR", gettext_lazy("Euro")
    USD = "USD", gettext_lazy("US dollar")
    GBP = "GBP", gettext_lazy("Pound sterling")
    VND = "VND", gettext_lazy("Vietnamese dong")
    IDR = "IDR", gettext_lazy("Indonesian rupiah")
    THB = "THB", gettext_lazy("Thai baht")
    TWD = "TWD", gettext_lazy("New Taiwan dollar")


class Customer(models.Model):
    class Tier(models.TextChoices):
        STRATEGIC = "strategic", gettext_lazy("Strategic")
        KEY = "key", gettext_lazy("Key account")
        STANDARD = "standard", gettext_lazy("Standard")
        OCCASIONAL = "occasional", gettext_lazy("Occasional")

    class InvoiceGrouping(models.TextChoices):
        PER_SHIPMENT = "per_shipment", gettext_lazy("One invoice per shipment")
        MONTHLY = "monthly", gettext_lazy("Consolidated per month")

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    credit_limit = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    # Billing preferences, honoured by billing and the documents the customer receives.
    invoice_grouping = models.CharField(
        max_length=20, choices=InvoiceGrouping.choices, default=InvoiceGrouping.PER_SHIPMENT
    )
    po_required = models.BooleanField(default=False)
    hide_prices_on_documents = models.BooleanField(
        default=False, help_text=gettext_lazy("Prices are hidden on documents sent to a third party.")
    )
    # The language of the documents and emails the customer receives (docs/i18n.md).
    document_language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    billing_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["sales_rep", "active"])]
        constraints = [models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customer_credit_limit_gte_0")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=80, blank=True)
    unit = models.CharField(max_length=10, default="pcs")
    standard_cost = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    list_price = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sku"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["family"])]
        constraints = [
            models.CheckConstraint(condition=Q(standard_cost__gte=0), name="product_standard_cost_gte_0"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_list_price_gte_0"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class Site(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class WorkCenter(models.Model):
    """A group of machines or people that production plans against (master data shared by
    planning, pricing and scheduling; scheduling keeps the day-by-day calendar)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="work_centers")
    hours_per_day = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("16"))
    days_per_week = models.PositiveSmallIntegerField(default=5)
    hourly_rate = models.DecimalField(
        **MONEY, default=ZERO, help_text=gettext_lazy("Labour and machine cost per hour.")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_day__gt=0, hours_per_day__lte=24), name="workcenter_hours_per_day_0_24"
            ),
            models.CheckConstraint(
                condition=Q(days_per_week__gte=1, days_per_week__lte=7), name="workcenter_days_per_week_1_7"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class RoutingStep(models.Model):
    """One operation of a product's routing: the work center it needs and for how long."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="routing")
    sequence = models.PositiveSmallIntegerField(default=10)
    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="routing_steps")
    hours_per_unit = models.DecimalField(max_digits=9, decimal_places=4, validators=[MinValueValidator(ZERO)])
    setup_hours = models.DecimalField(max_digits=7, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["product", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["product", "sequence"], name="routingstep_unique_sequence"),
            models.CheckConstraint(
                condition=Q(hours_per_unit__gte=0, setup_hours__gte=0), name="routingstep_hours_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.product_id}/{self.sequence} @ {self.work_center_id}"


class DepartmentSetting(models.Model):
    """Who manages a department: escalated alerts go to them."""

    department = models.CharField(max_length=30, choices=Department.choices, unique=True)
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    manager_email = models.EmailField(blank=True, help_text=gettext_lazy("Used when no manager user is set."))

    def __str__(self):
        return self.get_department_display()


class StepServiceLevel(models.Model):
    """How long the receiving department may hold an order in a status before its hand-off is overdue."""

    status = models.CharField(max_length=30, choices=OrderStatus.choices, unique=True)
    hours = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.1"))])

    class Meta:
        ordering = ["status"]

    def __str__(self):
        return f"{self.get_status_display()}: {self.hours} h"


class PriorityWeights(models.Model):
    """How the review board's queue is ranked: executives set one weight per factor (one row)."""

    tier = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("3"))
    margin = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("3"))
    strategic_fit = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("2"))
    capacity_fit = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1"))
    urgency = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1"))
    strategic_families = models.JSONField(
        default=list, blank=True, help_text=gettext_lazy("Product families we want to grow.")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "priority weights"
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__gte=0, margin__gte=0, strategic_fit__gte=0, capacity_fit__gte=0, urgency__gte=0),
                name="priorityweights_gte_0",
            )
        ]

    def __str__(self):
        return "Priority weights"


class NumberSequence(models.Model):
    """Gap-free counters for human-readable numbers (orders now, invoices later)."""

    name = models.CharField(max_length=40, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.last_value}"


class Order(models.Model):
    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    customer_po = models.CharField("customer PO", max_length=60, blank=True)
    requested_date = models.DateField(null=True, blank=True)
    promised_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    # Written only by orders.services.order_transition (a test enforces it).
    status = models.CharField(max_length=30, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    owner_department = models.CharField(max_length=30, choices=Department.choices, default=Department.SALES)
    status_changed_at = models.DateTimeField()
    priority_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # Each factor's value and contribution to the score, so every later screen can say why.
    priority_breakdown = models.JSONField(default=dict, blank=True)
    promise_explanation = models.CharField(max_length=300, blank=True)
    hold_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the order list filtered by status, newest first, paged to any depth (bench/, issue 10)
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_newest"),
            # (the review board's queue has a PostgreSQL-only index, order_review_queue: migration 0009)
            models.Index(fields=["owner_department", "status"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["-created_at", "-id"]),
        ]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity_ordered = models.DecimalField(**QUANTITY)
    quantity_reserved = models.DecimalField(**QUANTITY, default=ZERO)
    quantity_shipped = models.DecimalField(**QUANTITY, default=ZERO)
    quantity_invoiced = models.DecimalField(**QUANTITY, default=ZERO)
    quantity_returned = models.DecimalField(**QUANTITY, default=ZERO)
    unit_price = models.DecimalField(**MONEY, null=True, blank=True)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orderline_unique_line_no"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="orderline_ordered_gt_0"),
            models.CheckConstraint(
                condition=Q(
                    quantity_reserved__gte=0,
                    quantity_shipped__gte=0,
                    quantity_invoiced__gte=0,
                    quantity_returned__gte=0,
                ),
                name="orderline_quantities_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity_ordered")), name="orderline_shipped_lte_ordered"
            ),
            models.CheckConstraint(
                condition=Q(quantity_invoiced__lte=F("quantity_shipped")), name="orderline_invoiced_lte_shipped"
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_shipped")), name="orderline_returned_lte_shipped"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="orderline_discount_0_100"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0), name="orderline_unit_price_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.order_id}/{self.line_no}"


class OrderEvent(models.Model):
    """One row per status change (and the order's creation): the audit trail and the journey.

    Append-only: a PostgreSQL trigger (migration 0008) refuses UPDATE and DELETE, and an order
    with events cannot be deleted (PROTECT); corrections are new events."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=30, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    department = models.CharField(max_length=30, choices=Department.choices, blank=True)
    note = models.TextField(blank=True)
    # Facts the step app that made the move hands on to the next (e.g. the shipment number and
    # the quantities it shipped, which billing turns into invoice lines).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    # When the order left this status (the next event's time), written by the next move: the
    # dashboard's "time per step" reads it instead of pairing events at query time.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at"]),
            # Events reaching a status in a period; with ended_at, the dashboard's time per step
            # is an index-only scan per step.
            models.Index(fields=["to_status", "created_at", "ended_at"], name="orderevent_status_ended"),
            # Intervals that ended in a period (the dashboard's waits per step, and their daily
            # histograms' rebuild of recent days): an index-only range scan.
            models.Index(
                fields=["ended_at"],
                include=["to_status", "created_at", "order"],
                condition=Q(ended_at__isnull=False),
                name="orderevent_ended",
            ),
        ]

    def __str__(self):
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"

    # Guards, not flow: the log is written once (the trigger of migration 0008 holds in SQL too).
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The order event log is append-only: record a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The order event log is append-only: events are never deleted.")


class PromiseChange(models.Model):
    """The promised date moved after the order was promised: when, from what to what, why (for us)
    and, if the company chose to tell the customer, the reason shared with them. The customer
    portal shows the change with the shared reason only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="promise_changes")
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField()
    reason = models.CharField(max_length=500, help_text="Why, for the company (never shown to the customer).")
    customer_reason = models.CharField(
        max_length=500, blank=True, help_text="The reason shared with the customer; empty when none is shared."
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["order", "changed_at"])]

    def __str__(self):
        return f"{self.order_id}: {self.old_date} -> {self.new_date}"


class Handoff(models.Model):
    """An order passed from one department to another, timed against the step's service level."""

    ORDER_FLOW = "order"  # the order's own progress; any other kind is a step app's work item

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="handoffs")
    # "order" for the status hand-offs; a step app's own timed work (e.g. "refund", "rma:12")
    # has its own kind, so it runs beside the order's flow and is scanned and alerted the same way.
    kind = models.CharField(max_length=40, default=ORDER_FLOW)
    subject = models.CharField(
        max_length=200, blank=True, help_text=gettext_lazy("What is to be done, for work hand-offs.")
    )
    from_department = models.CharField(max_length=30, choices=Department.choices)
    to_department = models.CharField(max_length=30, choices=Department.choices)
    status = models.CharField(
        max_length=30, choices=OrderStatus.choices, help_text=gettext_lazy("Order status it waits in.")
    )
    step = models.CharField(max_length=20, choices=Step.choices)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    escalate_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], condition=Q(closed_at__isnull=True), name="handoff_one_open_per_order_kind"
            ),
        ]
        indexes = [
            # Open hand-offs by due time, with their order: "past due now" counts orders index-only.
            models.Index(
                fields=["due_at"],
                include=["order", "kind"],
                condition=Q(closed_at__isnull=True),
                name="handoff_open_due_order",
            ),
            # ... and the few open ones of other kinds (a step app's work): "past due now" counts
            # orders waiting only in those apart.
            models.Index(
                fields=["due_at"],
                include=["order"],
                condition=Q(closed_at__isnull=True) & ~Q(kind="order"),
                name="handoff_open_work_due",
            ),
            models.Index(fields=["to_department", "opened_at"]),
            models.Index(fields=["order", "opened_at"]),
            # The dashboard: closed order-flow hand-offs by closing (waits), missed ones by due time.
            models.Index(
                fields=["closed_at"],
                include=["opened_at", "from_department", "to_department", "order"],
                condition=Q(kind="order", closed_at__isnull=False),
                name="handoff_closed_flow",
            ),
            models.Index(
                fields=["due_at", "order", "closed_at"],
                condition=Q(closed_at__isnull=True) | Q(closed_at__gt=F("due_at")),
                name="handoff_missed_due",
            ),
            # ... and per order: has this order missed a hand-off due in the month before today?
            models.Index(
                fields=["order", "due_at"],
                include=["closed_at"],
                condition=Q(closed_at__isnull=True) | Q(closed_at__gt=F("due_at")),
                name="handoff_missed_order",
            ),
        ]

    def __str__(self):
        return f"{self.order_id}: {self.from_department} -> {self.to_department}"


class Alert(models.Model):
    class Level(models.TextChoices):
        OVERDUE = "overdue", gettext_lazy("Overdue")
        ESCALATED = "escalated", gettext_lazy("Escalated to the manager")

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="alerts")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(max_length=20, choices=Level.choices)
    department = models.CharField(max_length=30, choices=Department.choices)
    raised_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["handoff", "level"], name="alert_one_per_handoff_level")]
        indexes = [
            models.Index(
                fields=["department", "raised_at"],
                condition=Q(resolved_at__isnull=True),
                name="alert_open_by_department",
            ),
            models.Index(fields=["raised_at"], condition=Q(emailed_at__isnull=True), name="alert_unsent"),
        ]

    def __str__(self):
        return f"{self.level} {self.order_id}"


class OutboxMessage(models.Model):
    """Work for another department, written in the same transaction as the change that causes it.

    The row is the truth: it is published to Celery after commit, re-published by
    the relay if that failed, and processed at most once (processed_at).
    """

    topic = models.CharField(max_length=60)
    order = models.ForeignKey(Order, null=True, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The web request that caused it (X-Request-ID), carried into the task whenever it is published.
    # db_default: code of the previous release, still running while this migrates, inserts rows too.
    request_id = models.CharField(max_length=128, blank=True, default="", db_default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(processed_at__isnull=True), name="outbox_unprocessed"),
        ]

    def __str__(self):
        return f"{self.topic} #{self.pk}"


class TaskFailure(models.Model):
    """A Celery task that failed for good (retries exhausted), kept so an admin can see it and
    run it again from the stuck-work page. Written by the task_failure signal (omc/celery.py)."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    failed_at = models.DateTimeField()
    retried_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-failed_at", "-id"]
        indexes = [
            models.Index(fields=["-failed_at"], condition=Q(retried_at__isnull=True), name="taskfailure_open"),
            models.Index(fields=["task_name", "failed_at"]),
        ]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"


class OutboxReceipt(models.Model):
    """Proof that one consumer applied one outbox message, written in the same transaction as
    its effect. The unique (message, consumer) key makes a second application impossible even
    if two deliveries of the message race."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="receipts")
    consumer = models.CharField(max_length=200)
    processed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "consumer"], name="outbox_receipt_once")]

    def __str__(self):
        return f"{self.consumer} <- #{self.message_id}"


class IdempotencyRecord(models.Model):
    """The answer to one API write sent with an `Idempotency-Key` header (orders/idempotency.py):
    a retry with the same key and body gets this status and body back without running again.
    Kept 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request = models.CharField(max_length=300, help_text="Method and path, e.g. 'POST /api/orders/'.")
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.request} [{self.key}]"


class KpiTarget(models.Model):
    """The goal executives set for one dashboard KPI (the keys are defined in omc/kpis.py)."""

    class Direction(models.TextChoices):
        HIGHER = "higher", gettext_lazy("Higher is better")
        LOWER = "lower", gettext_lazy("Lower is better")

    key = models.CharField(max_length=40, unique=True)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return f"{self.key}: {self.target}"


class OrderFact(models.Model):
    """One narrow row per order with the dates and figures the executive dashboard aggregates,
    so a KPI reads an index range of this table for its period instead of pairing events,
    lines, shipments and estimates of every order ever taken.

    Kept current by `orders.facts.order_facts_refresh` in the transaction of the change that
    alters it (every move, order creation and line edits in the hub; a step app calls it after
    its own writes, and contributes its columns through `orders.facts.register`). The
    `order_facts_backfill` command rebuilds every row with the same statement.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, primary_key=True, related_name="fact")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    # False while a draft or quote and when cancelled or rejected: such orders are not measured.
    committed = models.BooleanField()
    promised_date = models.DateField(null=True)
    # First submitted (the first "entered" event); the creation time if it never was a draft.
    entered_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True)  # first reached "delivered"
    paid_at = models.DateTimeField(null=True)  # first reached "paid"
    value = models.DecimalField(max_digits=18, decimal_places=2)  # Σ rounded line net amounts
    units_shipped = models.DecimalField(max_digits=16, decimal_places=3)
    units_returned = models.DecimalField(max_digits=16, decimal_places=3)
    lines_short = models.PositiveIntegerField()  # lines not yet shipped in full
    # Contributed by step apps (fulfillment: shipments; pricing: the cost estimate).
    first_shipped_at = models.DateTimeField(null=True)
    last_shipped_at = models.DateTimeField(null=True)
    # The latest delivery of a shipment that arrived after the promised date (None: none did):
    # the dashboard's late orders of a period reaching today (omc.kpis.on_time_delivery_orders).
    late_delivered_at = models.DateTimeField(null=True)
    margin = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["promised_date"], condition=Q(committed=True), name="fact_promised"),
            models.Index(fields=["delivered_at"], name="fact_delivered"),
            models.Index(fields=["paid_at"], name="fact_paid"),
            models.Index(fields=["first_shipped_at"], name="fact_first_shipped"),
            models.Index(fields=["created_at"], condition=Q(committed=True), name="fact_created"),
            # The radar's first page walks orders biggest first (omc.kpis.radar_top).
            models.Index(fields=["value"], name="fact_value"),
            models.Index(
                fields=["late_delivered_at"], condition=Q(late_delivered_at__isnull=False), name="fact_late_delivered"
            ),
        ]

    def __str__(self):
        return f"facts of order {self.order_id}"


class UserPreference(models.Model):
    """A user's own settings: the language of their pages (chosen with the switcher, applied at
    login by orders.middleware.user_language)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)

    def __str__(self):
        return f"{self.user_id}: {self.language or '-'}"


class KpiDay(models.Model):
    """The dashboard's daily rollup: one row per (day, site, customer tier) with the additive
    sums of the per-order facts (OrderFact) that the fact-based KPIs need, each bucketed by the
    day of the moment its KPI is defined on (promised date, first delivered, first paid, first
    shipped, created). A period is then a sum over at most a few hundred rows per site and tier
    instead of every fact row in it.

    Rebuilt set-based from the facts by `orders.services.kpi_days_refresh` (beat: the recent
    days every few minutes, everything nightly; and at the end of the facts backfill). The
    dashboard reads these rows for days before today and the facts themselves for today on.
    """

    day = models.DateField()
    site = models.ForeignKey(Site, null=True, on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=20)  # the customer's tier when the row was rebuilt
    # Fill rate: committed orders promised that day, and those missed (a line short or a
    # shipment after the promise).
    promised = models.PositiveIntegerField(default=0)
    promised_missed = models.PositiveIntegerField(default=0)
    # Cycle times: orders first delivered / paid that day and Σ seconds since their entry.
    delivered = models.PositiveIntegerField(default=0)
    delivered_seconds = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    paid = models.PositiveIntegerField(default=0)
    paid_seconds = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    # Return rate: units shipped and returned of orders first shipped that day.
    units_shipped = models.DecimalField(max_digits=18, decimal_places=3, default=0)
    units_returned = models.DecimalField(max_digits=18, decimal_places=3, default=0)
    # Margin per order: committed orders created that day with a cost estimate, Σ margin, revenue.
    costed = models.PositiveIntegerField(default=0)
    margin = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Past due: on the row of a month's first day only, the orders with a hand-off due that month
    # that missed it (closed after its due time, or still open and due). A miss never un-happens.
    missed_orders = models.PositiveIntegerField(default=0)
    # Past due: orders whose first hand-off of the month that missed its due time was due that
    # day (additive within a month: Σ over a month's first days = the month's missed orders).
    missed_first = models.PositiveIntegerField(default=0)
    # Contributed by step apps (orders.facts.register_days). Fulfillment: shipments delivered
    # that day (of orders with a promised date) and those delivered by the promised date.
    deliveries = models.PositiveIntegerField(default=0)
    deliveries_on_time = models.PositiveIntegerField(default=0)
    # Billing: posted invoices issued that day and those corrected (credit note or dispute).
    invoices = models.PositiveIntegerField(default=0)
    invoices_corrected = models.PositiveIntegerField(default=0)
    # Billing, for DSO: Σ total of the posted invoices issued that day, Σ of what they leave to
    # collect (total − credited), and Σ of the same of the invoices paid that day (the later of
    # the issue day and the day of payment). Open receivables at the end of a day are then
    # Σ receivable_issued − Σ receivable_paid over every day up to it.
    invoiced = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    receivable_issued = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    receivable_paid = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "site", "tier"], name="kpi_day_unique", nulls_distinct=False)
        ]

    def __str__(self):
        return f"KPI sums of {self.day} site {self.site_id} tier {self.tier}"


class KpiWaitDay(models.Model):
    """The dashboard's daily histograms of waits: per day, step (or order-flow hand-off
    pair) and hour bucket, how many intervals ended that day and their Σ hours. The median
    and 90th percentile of a period are read off the summed buckets (orders.waits explains
    the buckets and the precision); the count and the mean are exact.

    Stored for four groupings (`grouping`, PostgreSQL's GROUPING(site, tier)): 0 per site and
    tier, 1 per site (every tier: `tier` is ""), 2 per tier (every site: `site` is NULL),
    3 everything; a view reads the one its filters need, so the unfiltered dashboard reads
    one row per key and bucket a day, not one per site and tier too.

    Rebuilt with KpiDay by `orders.services.kpi_days_refresh`; the dashboard reads these rows
    for days before today and the events and hand-offs themselves for today on.
    """

    STEP, HANDOFF = "step", "handoff"  # the kinds

    day = models.DateField()  # the day the interval ended (project time zone)
    grouping = models.PositiveSmallIntegerField()
    site = models.ForeignKey(Site, null=True, on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10)  # STEP or HANDOFF
    key = models.CharField(max_length=70)  # the step, or "sending>receiving" department
    bucket = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()
    hours = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                # a view's read: equal grouping, site, tier and kind, then a range of days
                fields=["grouping", "site", "tier", "kind", "day", "key", "bucket"],
                include=["n", "hours"],
                name="kpi_wait_day_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        return f"Waits of {self.day} {self.kind} {self.key} bucket {self.bucket}"
