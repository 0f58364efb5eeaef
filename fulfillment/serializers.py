from decimal import Decimal

from rest_framework import serializers

from orders.models import Order, OrderLine, Product, Site

from .models import BackOrder, Reservation, Shipment, ShipmentLine, StockLevel

QTY = {"max_digits": 12, "decimal_places": 3}


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    site_code = serializers.CharField(source="site.code", read_only=True)
    available = serializers.DecimalField(source="available_qty", read_only=True, **QTY)

    class Meta:
        model = StockLevel
        fields = ["id", "product", "sku", "site", "site_code", "on_hand", "reserved", "available"]


class StockReceiptSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(active=True))
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    quantity = serializers.DecimalField(min_value=Decimal("0.001"), **QTY)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class StockAdjustmentSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    quantity_delta = serializers.DecimalField(**QTY)
    reason = serializers.CharField(max_length=300)


class BackOrderSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = BackOrder
        fields = ["id", "order", "order_number", "order_line", "product", "sku", "quantity", "expected_date"]


class PickListRowSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_line.order_id", read_only=True)
    order_number = serializers.CharField(source="order_line.order.number", read_only=True)
    priority_score = serializers.DecimalField(
        source="order_line.order.priority_score", read_only=True, max_digits=7, decimal_places=2
    )
    promised_date = serializers.DateField(source="order_line.order.promised_date", read_only=True)
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = Reservation
        fields = ["site", "order", "order_number", "priority_score", "promised_date", "order_line", "sku", "quantity"]


class ShipmentLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["order_line", "sku", "quantity_picked", "quantity_packed"]


class ShipmentSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "number",
            "order",
            "order_number",
            "site",
            "status",
            "packages",
            "weight_kg",
            "carrier",
            "service",
            "tracking_number",
            "ship_date",
            "ship_to_third_party",
            "created_at",
            "packed_at",
            "shipped_at",
            "delivered_at",
            "lines",
        ]


class ShipmentStartSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())


class PackLineSerializer(serializers.Serializer):
    order_line = serializers.PrimaryKeyRelatedField(queryset=OrderLine.objects.all())
    quantity = serializers.DecimalField(min_value=Decimal("0"), **QTY)


class ShipmentPackSerializer(serializers.Serializer):
    lines = PackLineSerializer(many=True, required=False, default=list, max_length=500)
    packages = serializers.IntegerField(min_value=1, max_value=999)
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"))


class ShipmentShipSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=60)
    service = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=80)
    ship_date = serializers.DateField()


class ShipmentDeliverSerializer(serializers.Serializer):
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
