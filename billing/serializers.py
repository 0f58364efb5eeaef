from decimal import Decimal

from rest_framework import serializers

from orders.models import Currency, Customer
from orders.serializers import CurrencyAmountsMixin

from .models import Invoice, InvoiceLine, Payment


class InvoiceLineSerializer(CurrencyAmountsMixin, serializers.ModelSerializer):
    def money_currency(self, line) -> str:
        return line.invoice.currency

    class Meta:
        model = InvoiceLine
        money_fields = ["unit_price", "net_amount", "tax_amount"]
        fields = [
            "id",
            "order_line",
            "description",
            "delivery_note",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate_percent",
            "net_amount",
            "tax_amount",
        ]


class CheckSerializer(serializers.Serializer):
    label = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class InvoiceSerializer(CurrencyAmountsMixin, serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    order_number = serializers.CharField(source="order.number", default=None, read_only=True, allow_null=True)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        money_fields = ["subtotal", "tax_total", "total", "amount_paid", "amount_credited", "balance"]
        fields = [
            "id",
            "kind",
            "status",
            "number",
            "customer",
            "customer_name",
            "order",
            "order_number",
            "corrects",
            "currency",
            "customer_po",
            "language",
            "send_to",
            "period_start",
            "period_end",
            "subtotal",
            "tax_total",
            "total",
            "amount_paid",
            "amount_credited",
            "balance",
            "issue_date",
            "due_date",
            "question",
            "answer",
            "reason",
            "created_at",
            "posted_at",
            "paid_at",
            "sent_at",
        ]


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    checks = serializers.SerializerMethodField()

    class Meta(InvoiceSerializer.Meta):
        fields = InvoiceSerializer.Meta.fields + ["lines", "checks"]

    def get_checks(self, invoice) -> list[dict]:
        from .services import invoice_checks

        return [{"label": c.label, "ok": c.ok, "detail": c.detail} for c in invoice_checks(invoice)]


class LineQuantitySerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False)


class InvoiceEditSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    customer_po = serializers.CharField(max_length=60, required=False, allow_blank=True, default=None)
    lines = LineQuantitySerializer(many=True, required=False, default=list, max_length=500)


class QuestionSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=2000)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)
    customer_po = serializers.CharField(max_length=60, required=False, allow_blank=True, default=None)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class CreditNoteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    lines = LineQuantitySerializer(many=True, allow_empty=False, max_length=500)


class PaymentSerializer(CurrencyAmountsMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    currency = serializers.ChoiceField(choices=Currency.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    invoices = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, write_only=True, max_length=500
    )

    class Meta:
        model = Payment
        money_fields = ["amount", "unallocated"]
        fields = [
            "id",
            "customer",
            "amount",
            "currency",
            "received_on",
            "reference",
            "unallocated",
            "invoices",
            "created_at",
        ]
        read_only_fields = ["unallocated", "created_at"]
