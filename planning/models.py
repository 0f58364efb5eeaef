"""Order planning tables: forecasts per source with their versions, the consensus, and the
planning audit trail. Rules live in planning/services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from orders.models import QUANTITY, Product
from orders.roles import Role


class Source(models.TextChoices):
    SALES = "sales", gettext_lazy("Sales")  # entered by sales reps
    PRODUCTION = "production", gettext_lazy("Production")  # entered by production schedulers


class Forecast(models.Model):
    """The current figure of one source for one product and month (the latest of its versions).

    Written only by planning.services.forecast_save_many, which adds a ForecastVersion in the
    same transaction; `version` is the number of the latest version.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="forecasts")
    source = models.CharField(max_length=20, choices=Source.choices)
    month = models.DateField(help_text=gettext_lazy("First day of the month."))
    quantity = models.DecimalField(**QUANTITY)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "source", "month"]
        constraints = [
            models.UniqueConstraint(fields=["source", "product", "month"], name="forecast_unique_source_product_month"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="forecast_quantity_gte_0"),
            models.CheckConstraint(condition=Q(month__day=1), name="forecast_month_first_day"),
        ]
        indexes = [models.Index(fields=["source", "month"])]

    def __str__(self):
        return f"{self.source} {self.product_id} {self.month:%Y-%m} = {self.quantity}"


class ForecastVersion(models.Model):
    """One save of a forecast figure: never updated, never deleted."""

    class Origin(models.TextChoices):
        GRID = "grid", gettext_lazy("Forecast grid")
        IMPORT = "import", gettext_lazy("CSV import")
        API = "api", gettext_lazy("API")

    forecast = models.ForeignKey(Forecast, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    quantity = models.DecimalField(**QUANTITY)
    previous_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.GRID)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["forecast", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["forecast", "version"], name="forecastversion_unique_version"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="forecastversion_quantity_gte_0"),
            models.CheckConstraint(condition=Q(version__gte=1), name="forecastversion_version_gte_1"),
        ]

    def __str__(self):
        return f"{self.forecast_id} v{self.version} = {self.quantity}"


class Consensus(models.Model):
    """The agreed demand for one product and month, set by the demand planner with a reason and
    signed off by production. Written only by planning.services."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="consensus_figures")
    month = models.DateField(help_text=gettext_lazy("First day of the month."))
    quantity = models.DecimalField(**QUANTITY)
    rationale = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField()
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product", "month"]
        verbose_name_plural = "consensus figures"
        constraints = [
            models.UniqueConstraint(fields=["product", "month"], name="consensus_unique_product_month"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="consensus_quantity_gte_0"),
            models.CheckConstraint(condition=~Q(rationale=""), name="consensus_rationale_required"),
            models.CheckConstraint(condition=Q(month__day=1), name="consensus_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "product"])]

    def __str__(self):
        return f"{self.product_id} {self.month:%Y-%m} = {self.quantity}"

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


class PlanningEvent(models.Model):
    """The planning audit trail: who did what to which figure, in which role, when."""

    class Kind(models.TextChoices):
        CONSENSUS_SET = "consensus_set", gettext_lazy("Consensus set")
        CONSENSUS_SIGNED_OFF = "consensus_signed_off", gettext_lazy("Consensus signed off")
        SIGN_OFF_CLEARED = "sign_off_cleared", gettext_lazy("Sign-off cleared by a change")
        FORECAST_IMPORTED = "forecast_imported", gettext_lazy("Forecast imported")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    previous_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "month", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.product_id} {self.month}"
