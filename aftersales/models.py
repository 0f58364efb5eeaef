from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from orders.models import QUANTITY, Customer, Order, OrderLine, Product


class Skill(models.Model):
    """What a technician can do: the ticket kinds (installation, repair, ...) and product families."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Technician(models.Model):
    """A field service user and their skills."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="technician")
    skills = models.ManyToManyField(Skill, blank=True, related_name="technicians")
    region = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self):
        return self.user.get_full_name() or self.user.username


class WarrantyTerm(models.Model):
    """How long a product is under warranty from delivery: per product, else per product family."""

    product = models.OneToOneField(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=80, blank=True)
    months = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["family", "product"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(family="")) | (Q(product__isnull=True) & ~Q(family="")),
                name="warrantyterm_product_xor_family",
            ),
            models.UniqueConstraint(fields=["family"], condition=~Q(family=""), name="warrantyterm_unique_family"),
        ]

    def __str__(self):
        return f"{self.product or self.family}: {self.months} months"


class TicketKind(models.TextChoices):
    INSTALLATION = "installation", gettext_lazy("Installation")
    REPAIR = "repair", gettext_lazy("Repair")
    MAINTENANCE = "maintenance", gettext_lazy("Maintenance")
    TRAINING = "training", gettext_lazy("Training")


class ServiceLevel(models.Model):
    """Hours to resolve a ticket of a kind at normal priority (high: half, urgent: a quarter, low: twice)."""

    kind = models.CharField(max_length=20, choices=TicketKind.choices, unique=True)
    hours = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.1"))])

    class Meta:
        ordering = ["kind"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.hours} h"


class Ticket(models.Model):
    class Priority(models.TextChoices):
        LOW = "low", gettext_lazy("Low")
        NORMAL = "normal", gettext_lazy("Normal")
        HIGH = "high", gettext_lazy("High")
        URGENT = "urgent", gettext_lazy("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")  # recorded; no visit planned yet
        SCHEDULED = "scheduled", gettext_lazy("Scheduled")  # a visit is planned
        RESOLVED = "resolved", gettext_lazy("Resolved")  # the work is done (final)
        CANCELLED = "cancelled", gettext_lazy("Cancelled")  # withdrawn (final)

    class Warranty(models.TextChoices):
        IN = "in", gettext_lazy("In warranty")
        OUT = "out", gettext_lazy("Out of warranty")
        UNKNOWN = "unknown", gettext_lazy("Not determined")

    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=TicketKind.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    warranty = models.CharField(max_length=10, choices=Warranty.choices, default=Warranty.UNKNOWN)
    warranty_until = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["order"]),
        ]

    def __str__(self):
        return self.number

    @property
    def handoff_kind(self) -> str:
        return f"ticket:{self.number}"


class MaintenancePlan(models.Model):
    """Regular maintenance at a customer: a visit every `interval_days` from `start_date`."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    interval_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    start_date = models.DateField()
    technician = models.ForeignKey(Technician, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(default=True)
    generated_until = models.DateField(null=True, blank=True, help_text=gettext_lazy("Visits exist up to this date."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["customer", "id"]
        constraints = [models.CheckConstraint(condition=Q(interval_days__gte=1), name="maintenanceplan_interval_gte_1")]

    def __str__(self):
        return f"{self.customer}: {self.description} every {self.interval_days} d"


class Visit(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", gettext_lazy("Planned")  # on a technician's calendar
        DONE = "done", gettext_lazy("Done")  # the report is filed (final)
        CANCELLED = "cancelled", gettext_lazy("Cancelled")  # not going ahead (final)

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="visits")
    plan = models.ForeignKey(MaintenancePlan, null=True, blank=True, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(max_length=20, choices=TicketKind.choices)
    technician = models.ForeignKey(Technician, null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    scheduled_for = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["scheduled_for", "id"]
        constraints = [
            # a plan makes one visit per date, so the periodic generation can rerun safely
            models.UniqueConstraint(fields=["plan", "scheduled_for"], name="visit_one_per_plan_date"),
        ]
        indexes = [
            models.Index(fields=["technician", "status", "scheduled_for"]),
            models.Index(fields=["status", "scheduled_for"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.customer} on {self.scheduled_for}"

    @property
    def feedback_kind(self) -> str:
        return f"feedback:{self.pk}"


class FeedbackTag(models.Model):
    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class VisitReport(models.Model):
    """What the technician did and learnt: time, parts, and feedback for sales."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="report")
    hours = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.1"))])
    work_done = models.TextField()
    feedback = models.TextField(blank=True)
    tags = models.ManyToManyField(FeedbackTag, blank=True, related_name="+")
    resolved = models.BooleanField(default=True, help_text=gettext_lazy("The ticket's work is done."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    feedback_seen_at = models.DateTimeField(null=True, blank=True)
    feedback_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"])]

    def __str__(self):
        return f"Report on visit {self.visit_id}"

    @property
    def has_feedback(self) -> bool:
        return bool(self.feedback)


class ReportPart(models.Model):
    report = models.ForeignKey(VisitReport, on_delete=models.CASCADE, related_name="parts")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])

    class Meta:
        ordering = ["report", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="reportpart_quantity_gt_0")]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"
