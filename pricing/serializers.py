from decimal import Decimal

from rest_framework import serializers

from orders.models import Customer, Product

from . import services
from .models import CustomerPrice, Discount, PriceApproval, PriceList, PriceListItem, Quote

PRICE = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


def _check_period(attrs):
    if attrs.get("valid_to") and attrs["valid_to"] < attrs["valid_from"]:
        raise serializers.ValidationError({"valid_to": ["Must be on or after valid_from."]})


class PriceListItemSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit_price = serializers.DecimalField(**PRICE)
    min_quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), required=False, default=Decimal("1")
    )

    class Meta:
        model = PriceListItem
        fields = ["id", "product", "min_quantity", "unit_price"]


class PriceListSerializer(serializers.ModelSerializer):
    items = PriceListItemSerializer(many=True, required=False, max_length=20000)

    class Meta:
        model = PriceList
        fields = ["id", "name", "currency", "valid_from", "valid_to", "active", "items"]

    def validate(self, attrs):
        _check_period(attrs)
        keys = [(item["product"].pk, item.get("min_quantity", Decimal("1"))) for item in attrs.get("items", [])]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError({"items": ["A product appears twice with the same minimum quantity."]})
        return attrs


class CustomerPriceSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit_price = serializers.DecimalField(**PRICE)

    class Meta:
        model = CustomerPrice
        fields = ["id", "customer", "product", "currency", "unit_price", "valid_from", "valid_to"]

    def validate(self, attrs):
        _check_period(attrs)
        return attrs


class DiscountSerializer(serializers.ModelSerializer):
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"))

    class Meta:
        model = Discount
        fields = ["id", "customer", "tier", "product_family", "percent", "valid_from", "valid_to"]

    def validate(self, attrs):
        _check_period(attrs)
        if not attrs.get("customer") and not attrs.get("tier"):
            raise serializers.ValidationError({"customer": ["Give a customer or a tier."]})
        return attrs


class ApprovalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceApproval
        fields = [
            "id",
            "order",
            "reasons",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "note",
        ]


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class QuoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quote
        fields = ["id", "order", "number", "valid_until", "sent_at", "sent_to"]


class QuoteSendSerializer(serializers.Serializer):
    valid_days = serializers.IntegerField(min_value=1, max_value=365, default=30)


class DiscountSetSerializer(serializers.Serializer):
    line_no = serializers.IntegerField(min_value=1)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )


def cost_estimate_data(order) -> dict:
    figures = services.cost_estimate_calculate(order=order)
    return {
        key: (str(value) if isinstance(value, Decimal) else value) for key, value in figures.items() if key != "lines"
    } | {"lines": [{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()} for row in figures["lines"]]}
