from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from orders.models import Order, WorkCenter

from .models import CapacityException, ExpediteRequest, Job, RescheduleEvent


class _CardField(serializers.CharField):
    """A job's order number, customer or SKU: the column selectors.with_card_fields annotated
    (the board reads them so), else through the relation."""

    def __init__(self, *, annotation: str, **kwargs):
        self.annotation = annotation
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        if hasattr(instance, self.annotation):
            return getattr(instance, self.annotation)
        return super().get_attribute(instance)


class JobSerializer(serializers.ModelSerializer):
    order_number = _CardField(annotation="order_number", source="order.number")
    customer = _CardField(annotation="customer_name", source="order.customer.name")
    sku = _CardField(annotation="sku", source="order_line.product.sku")
    work_center_code = serializers.CharField(source="work_center.code", read_only=True)
    late = serializers.BooleanField(source="is_late", read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "order",
            "order_number",
            "customer",
            "order_line",
            "sku",
            "sequence",
            "work_center",
            "work_center_code",
            "quantity",
            "hours",
            "priority",
            "promised_date",
            "state",
            "scheduled_day",
            "finish_day",
            "position",
            "late",
            "version",
            "started_at",
            "finished_at",
        ]


class JobMoveSerializer(serializers.Serializer):
    day = serializers.DateField()
    version = serializers.IntegerField(min_value=1)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False, allow_null=True, default=None)


class JobVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class BoardQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, default=None, allow_null=True)
    days = serializers.IntegerField(min_value=1, max_value=28, required=False, default=14)
    site = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class AutoScheduleSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, allow_null=True, default=None)


class ExpediteRequestSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    requested_by_username = serializers.CharField(source="requested_by.username", read_only=True)

    class Meta:
        model = ExpediteRequest
        fields = [
            "id",
            "order",
            "order_number",
            "customer",
            "customer_name",
            "requested_by",
            "requested_by_username",
            "needed_by",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class ExpediteCreateSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    needed_by = serializers.DateField()
    reason = serializers.CharField(max_length=500)

    def validate_needed_by(self, value):
        if value < timezone.localdate():
            raise serializers.ValidationError(_("Choose today or later."))
        return value


class ExpediteDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExpediteDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def expedite_cost_data(cost) -> dict:
    """The cost of an expedite as JSON (used by the API)."""
    return {
        "feasible": cost.feasible,
        "message": cost.message,
        "finish_before": cost.finish_before,
        "finish_after": cost.finish_after,
        "overtime_hours": str(cost.overtime_hours),
        "overtime_cost": str(cost.overtime_cost),
        "overtime": [
            {"work_center": row["work_center"].code, "day": row["day"], "hours": str(row["hours"])}
            for row in cost.overtime_rows
        ],
        "jobs_moved": len(cost.bookings),
        "pushed": [
            {
                "job": p.job.pk,
                "order": p.job.order.number,
                "customer": p.job.order.customer.name,
                "promised_date": p.job.promised_date,
                "finish_before": p.old_finish,
                "finish_after": p.new_finish,
                "made_late": p.made_late,
            }
            for p in cost.pushed
        ],
    }


class RescheduleEventSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True, default=None, allow_null=True)
    requested_by_username = serializers.CharField(
        source="requested_by.username", read_only=True, default=None, allow_null=True
    )
    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = RescheduleEvent
        fields = [
            "id",
            "kind",
            "order",
            "order_number",
            "customer",
            "job",
            "expedite",
            "requested_by",
            "requested_by_username",
            "actor",
            "actor_username",
            "from_day",
            "to_day",
            "jobs_moved",
            "jobs_pushed",
            "jobs_made_late",
            "overtime_hours",
            "detail",
            "created_at",
        ]


class CapacityExceptionSerializer(serializers.ModelSerializer):
    work_center = serializers.PrimaryKeyRelatedField(queryset=WorkCenter.objects.all())
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("24"), default=Decimal("0")
    )

    class Meta:
        model = CapacityException
        fields = ["id", "work_center", "day", "kind", "hours", "note", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # the service replaces an existing (work center, day, kind)

    def validate(self, attrs):
        if attrs["kind"] != CapacityException.Kind.HOLIDAY and attrs.get("hours", 0) <= 0:
            raise serializers.ValidationError({"hours": ["Give the hours (more than 0)."]})
        return attrs
