from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Customer, Order


class NotificationKind(models.TextChoices):
    """What a customer contact may choose to be told by email."""

    ORDER_CONFIRMED = "order_confirmed", _("Order confirmed")
    PROMISE_CHANGED = "promise_changed", _("Promised date changed")
    SHIPPED = "shipped", _("Shipped")
    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")


class CustomerContact(models.Model):
    """A person at a customer who logs in to the customer portal: linked to exactly one customer,
    whose orders, shipments and invoices (and nothing else) they see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_contact")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    # The language of the portal and of the emails the contact receives (a code from LANGUAGES).
    language = models.CharField(max_length=10, default="en")
    notify_order_confirmed = models.BooleanField(_("order confirmed"), default=True)
    notify_promise_changed = models.BooleanField(_("promised date changed"), default=True)
    notify_shipped = models.BooleanField(_("shipped"), default=True)
    notify_invoice_issued = models.BooleanField(_("invoice issued"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "user"]
        indexes = [models.Index(fields=["customer"])]

    def __str__(self):
        return f"{self.user} @ {self.customer.code}"

    def wants(self, kind: str) -> bool:
        return getattr(self, f"notify_{kind}")


class PortalNotification(models.Model):
    """One email to one contact about one event. The unique (contact, kind, key) makes recording
    it idempotent (a redelivered outbox message records nothing new) and `sent_at` makes sending
    it once."""

    contact = models.ForeignKey(CustomerContact, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    # What it is about: "event:<OrderEvent id>", "promise:<PromiseChange id>", "invoice:<Invoice id>".
    key = models.CharField(max_length=60)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "key"], name="portalnotification_once_per_event"),
        ]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="portalnotif_unsent")]

    def __str__(self):
        return f"{self.kind} {self.key} -> {self.contact_id}"
