from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from orders.models import Customer, Order, Site

from .models import Claim, ClaimLine, ReturnAuthorization, ReturnLine

QTY = {"max_digits": 12, "decimal_places": 3}


class ReturnLineSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order_line.order.number", read_only=True)
    product = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "order_line",
            "order",
            "product",
            "quantity",
            "quantity_received",
            "disposition",
            "inspection_note",
        ]


class RmaSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    replacement_order_number = serializers.CharField(
        source="replacement_order.number", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ReturnAuthorization
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "status",
            "reason",
            "resolution",
            "note",
            "site",
            "rejection_reason",
            "credit_failure",
            "credit_note_numbers",
            "replacement_order",
            "replacement_order_number",
            "created_at",
            "approved_at",
            "received_at",
            "inspected_at",
            "completed_at",
        ]


class RmaDetailSerializer(RmaSerializer):
    lines = ReturnLineSerializer(many=True, read_only=True)

    class Meta(RmaSerializer.Meta):
        fields = RmaSerializer.Meta.fields + ["lines"]


class ReturnLineQuantitySerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(**QTY, min_value=Decimal("0.001"))


class RmaCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    reason = serializers.ChoiceField(choices=ReturnAuthorization.Reason.choices)
    resolution = serializers.ChoiceField(choices=ReturnAuthorization.Resolution.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    lines = ReturnLineQuantitySerializer(many=True, allow_empty=False)

    def validate_lines(self, value):
        ids = [row["order_line"] for row in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("Each order line once."))
        return value


class ReturnReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReceiveLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text=gettext_lazy("RMA line id"))
    quantity = serializers.DecimalField(**QTY, min_value=Decimal("0"))


class RmaReceiveSerializer(serializers.Serializer):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    lines = ReceiveLineSerializer(many=True, allow_empty=False)


class InspectLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text=gettext_lazy("RMA line id"))
    disposition = serializers.ChoiceField(choices=ReturnLine.Disposition.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RmaInspectSerializer(serializers.Serializer):
    lines = InspectLineSerializer(many=True, allow_empty=False)


class ReturnableLineSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(source="line.pk")
    order = serializers.CharField(source="line.order.number")
    line_no = serializers.IntegerField(source="line.line_no")
    product = serializers.CharField(source="line.product.sku")
    quantity_shipped = serializers.DecimalField(source="line.quantity_shipped", **QTY)
    quantity_returned = serializers.DecimalField(source="line.quantity_returned", **QTY)
    returnable = serializers.DecimalField(**QTY)
    delivered_on = serializers.DateField()
    within_policy = serializers.BooleanField()


class ClaimLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimLine
        fields = ["id", "order_line", "quantity", "unit_price"]


class ClaimSerializer(serializers.ModelSerializer):
    lines = ClaimLineSerializer(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "customer",
            "order",
            "invoice_id",
            "invoice_number",
            "kind",
            "status",
            "description",
            "rejection_reason",
            "credit_failure",
            "credit_note_numbers",
            "created_at",
            "resolved_at",
            "lines",
        ]


class ClaimLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(**QTY, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True, default=None
    )


class ClaimCreateSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    invoice_id = serializers.IntegerField(min_value=1)
    invoice_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Claim.Kind.choices)
    description = serializers.CharField(max_length=2000)
    lines = ClaimLineInputSerializer(many=True, allow_empty=False)
