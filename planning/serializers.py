from decimal import Decimal

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import Product

from .models import Consensus, Forecast, ForecastVersion, Source
from .months import month_parse

QUANTITY = {"max_digits": 12, "decimal_places": 3, "min_value": Decimal("0")}


@extend_schema_field(OpenApiTypes.STR)
class MonthField(serializers.Field):
    """A month as 'YYYY-MM'."""

    default_error_messages = {"invalid": "Enter a month as YYYY-MM."}

    def to_internal_value(self, data):
        month = month_parse(data) if isinstance(data, str) else None
        if month is None:
            self.fail("invalid")
        return month

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class ForecastSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    month = MonthField()
    updated_by = serializers.CharField(source="updated_by.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Forecast
        fields = ["id", "product", "sku", "source", "month", "quantity", "version", "updated_by", "updated_at"]


class ForecastInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    source = serializers.ChoiceField(choices=Source.choices)
    month = MonthField()
    quantity = serializers.DecimalField(**QUANTITY)


class ForecastVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = ForecastVersion
        fields = ["version", "quantity", "previous_quantity", "origin", "created_by", "created_at"]


class ForecastHistoryQuerySerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    source = serializers.ChoiceField(choices=Source.choices)
    month = MonthField()


class ForecastFilterSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    family = serializers.CharField(max_length=80, required=False)
    search = serializers.CharField(max_length=100, required=False)
    month_from = MonthField(required=False)
    month_to = MonthField(required=False)


class ConsensusSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    month = MonthField()
    set_by = serializers.CharField(source="set_by.username", default=None, read_only=True, allow_null=True)
    signed_off_by = serializers.CharField(
        source="signed_off_by.username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Consensus
        fields = [
            "id",
            "product",
            "sku",
            "month",
            "quantity",
            "rationale",
            "set_by",
            "set_at",
            "signed_off_by",
            "signed_off_at",
        ]


class ConsensusInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    month = MonthField()
    quantity = serializers.DecimalField(**QUANTITY)
    rationale = serializers.CharField(max_length=2000)


class ConsensusFilterSerializer(serializers.Serializer):
    month = MonthField(required=False)
    family = serializers.CharField(max_length=80, required=False)
    search = serializers.CharField(max_length=100, required=False)
    signed_off = serializers.BooleanField(required=False, allow_null=True, default=None)


class SignOffInputSerializer(serializers.Serializer):
    month = MonthField()
    products = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False, max_length=500
    )


class SignOffResultSerializer(serializers.Serializer):
    signed_off = serializers.IntegerField()


class AccuracySerializer(serializers.Serializer):
    source = serializers.CharField()
    forecast = serializers.DecimalField(max_digits=20, decimal_places=3)
    actual = serializers.DecimalField(max_digits=20, decimal_places=3)
    abs_error = serializers.DecimalField(max_digits=20, decimal_places=3)
    cells = serializers.IntegerField(help_text=gettext_lazy("Product-months compared."))
    bias_percent = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    wape_percent = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    wording = serializers.CharField()


class AccuracyQuerySerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices, required=False)


class CapacityQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text=gettext_lazy("Any day of the first ISO week; default this week.")
    )
    weeks = serializers.IntegerField(min_value=1, max_value=60, default=13)
