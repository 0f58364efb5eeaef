"""The customer portal's read API, for a customer's own systems (token auth like the rest of the
API: POST /api/auth/token/). Same rules as the pages: customer contacts only (403 for anyone
else), their customer's rows only (another customer's order or invoice is 404)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import BasePermission

from billing.models import Invoice
from orders.models import Order

from . import journey, selectors


class IsCustomerContact(BasePermission):
    message = "The portal API is for our customers' contacts."

    def has_permission(self, request, view):
        contact = selectors.contact_for_user(request.user)
        if contact is None:
            return False
        request.contact = contact
        return True


class CustomerStatusSerializer(serializers.Serializer):
    """The status in customer terms: a stage key (received ... invoiced, or paid, cancelled,
    requested) and its label."""

    stage = serializers.CharField()
    label = serializers.CharField()


class PortalOrderSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    @extend_schema_field(CustomerStatusSerializer)
    def get_status(self, order) -> dict:
        return {"stage": journey.status_css(order.status), "label": str(journey.status_label(order.status))}

    class Meta:
        model = Order
        fields = ["id", "number", "customer_po", "status", "requested_date", "promised_date", "currency", "created_at"]


class PortalLineSerializer(serializers.Serializer):
    line_no = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    ordered = serializers.DecimalField(max_digits=12, decimal_places=3)
    shipped = serializers.DecimalField(max_digits=12, decimal_places=3)
    returned = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class PortalStageSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    reached = serializers.BooleanField()
    current = serializers.BooleanField()
    reached_at = serializers.DateTimeField(allow_null=True)


class PortalPromiseChangeSerializer(serializers.Serializer):
    changed_at = serializers.DateTimeField()
    old_date = serializers.DateField(allow_null=True)
    new_date = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)


class PortalShipmentSerializer(serializers.Serializer):
    number = serializers.CharField()
    order = serializers.CharField(source="order.number")
    carrier = serializers.CharField()
    service = serializers.CharField()
    tracking_number = serializers.CharField()
    ship_date = serializers.DateField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class PortalInvoiceSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", allow_null=True, default=None)
    balance_due = serializers.DecimalField(max_digits=16, decimal_places=2)
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = ["id", "number", "kind", "order", "currency", "total", "balance_due", "issue_date", "due_date", "pdf"]

    def get_pdf(self, invoice) -> str:
        from django.urls import reverse

        return reverse("portal:invoice_pdf", args=[invoice.pk])


class PortalOrderList(ListAPIView):
    """The contact's company's orders, newest first (`?search=` order number or PO, `?state=` open,
    shipped, invoiced, cancelled)."""

    permission_classes = [IsCustomerContact]
    serializer_class = PortalOrderSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.order_list(
            customer_id=self.request.contact.customer_id,
            search=self.request.query_params.get("search") or None,
            state=self.request.query_params.get("state") or None,
        )


class PortalOrderDetailSerializer(PortalOrderSerializer):
    journey = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    promise_changes = serializers.SerializerMethodField()
    shipments = serializers.SerializerMethodField()
    invoices = serializers.SerializerMethodField()

    class Meta(PortalOrderSerializer.Meta):
        fields = [*PortalOrderSerializer.Meta.fields, "journey", "lines", "promise_changes", "shipments", "invoices"]

    def get_journey(self, order) -> list[dict]:
        return PortalStageSerializer(selectors.order_journey(order), many=True).data

    def get_lines(self, order) -> list[dict]:
        return PortalLineSerializer(selectors.order_lines(order), many=True).data

    def get_promise_changes(self, order) -> list[dict]:
        return PortalPromiseChangeSerializer(selectors.promise_changes(order), many=True).data

    def get_shipments(self, order) -> list[dict]:
        shipments = selectors.shipment_list(customer_id=order.customer_id, order_id=order.pk)
        return PortalShipmentSerializer(shipments, many=True).data

    def get_invoices(self, order) -> list[dict]:
        invoices = selectors.invoice_list(customer_id=order.customer_id, order_id=order.pk)
        return PortalInvoiceSerializer(invoices, many=True).data


class PortalOrderDetail(RetrieveAPIView):
    """One order: the journey in customer terms, lines, promise changes, shipments, invoices."""

    permission_classes = [IsCustomerContact]
    serializer_class = PortalOrderDetailSerializer

    def get_object(self):
        try:
            return selectors.order_for_customer(
                customer_id=self.request.contact.customer_id, order_id=int(self.kwargs["pk"])
            )
        except (Order.DoesNotExist, ValueError):
            raise Http404("No such order.") from None


class PortalInvoiceList(ListAPIView):
    """Posted invoices and credit notes with what is still due (`?open=1`: only those)."""

    permission_classes = [IsCustomerContact]
    serializer_class = PortalInvoiceSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.invoice_list(
            customer_id=self.request.contact.customer_id, open_only=self.request.query_params.get("open") == "1"
        )
