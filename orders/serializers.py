from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from .models import Customer, Handoff, Order, OrderEvent, OrderLine, Product
from .money import money_amount

MAX_LINES_PER_ORDER = 500


class CustomerSerializer(serializers.ModelSerializer):
    sales_rep = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), allow_null=True, required=False
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "tier",
            "credit_limit",
            "payment_terms_days",
            "currency",
            "sales_rep",
            "invoice_grouping",
            "po_required",
            "hide_prices_on_documents",
            "document_language",
            "billing_email",
            "active",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"credit_limit": {"min_value": Decimal("0")}}


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "name", "family", "unit", "standard_cost", "list_price", "currency", "active"]
        extra_kwargs = {"standard_cost": {"min_value": Decimal("0")}, "list_price": {"min_value": Decimal("0")}}


class OrderLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )


class OrderCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    customer_po = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    requested_date = serializers.DateField(required=False, allow_null=True, default=None)
    lines = OrderLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES_PER_ORDER)


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "line_no",
            "product",
            "sku",
            "product_name",
            "quantity_ordered",
            "quantity_reserved",
            "quantity_shipped",
            "quantity_invoiced",
            "quantity_returned",
            "unit_price",
            "discount_percent",
        ]


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["action", "from_status", "to_status", "actor", "role", "department", "note", "created_at"]


class HandoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handoff
        fields = [
            "id",
            "from_department",
            "to_department",
            "status",
            "step",
            "opened_at",
            "due_at",
            "escalate_at",
            "acknowledged_at",
            "closed_at",
        ]


class OrderListSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "customer_po",
            "status",
            "owner_department",
            "requested_date",
            "promised_date",
            "currency",
            "priority_score",
            "is_overdue",
            "created_at",
            "status_changed_at",
        ]


class OrderDetailSerializer(OrderListSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)
    handoffs = HandoffSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(OrderListSerializer.Meta):
        fields = OrderListSerializer.Meta.fields + ["hold_reason", "allowed_actions", "lines", "events", "handoffs"]

    def get_allowed_actions(self, order) -> list[str]:
        return self.context["allowed_actions"]


class OrderActionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CurrencyAmountsMixin:
    """Money fields (`Meta.money_fields`) rendered with their currency's decimals: "1250000" for
    VND, "12.50" for EUR (orders.money.money_amount). `money_currency` names the currency."""

    def money_currency(self, instance) -> str:
        return instance.currency

    def to_representation(self, instance):
        data = super().to_representation(instance)
        currency = self.money_currency(instance)
        for name in getattr(self.Meta, "money_fields", ()):
            if data.get(name) is not None:
                data[name] = money_amount(Decimal(data[name]), currency)
        return data
