from decimal import Decimal

from rest_framework import serializers

from orders.models import Customer, Order, OrderLine, Product

from .models import MaintenancePlan, Technician, Ticket, TicketKind, Visit, VisitReport


class TicketSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "order",
            "order_line",
            "kind",
            "priority",
            "status",
            "subject",
            "description",
            "warranty",
            "warranty_until",
            "due_at",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = ["number", "status", "warranty", "warranty_until", "due_at", "created_at", "resolved_at"]


class TicketCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), required=False, allow_null=True)
    order_line = serializers.PrimaryKeyRelatedField(
        queryset=OrderLine.objects.select_related("order", "product"), required=False, allow_null=True
    )
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class VisitSerializer(serializers.ModelSerializer):
    technician_name = serializers.CharField(source="technician.__str__", read_only=True, default=None, allow_null=True)
    report = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "customer",
            "ticket",
            "plan",
            "kind",
            "technician",
            "technician_name",
            "scheduled_for",
            "status",
            "report",
        ]


class VisitScheduleSerializer(serializers.Serializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all())
    scheduled_for = serializers.DateField()


class PartSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))


class VisitReportInputSerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.1"))
    work_done = serializers.CharField(max_length=4000)
    feedback = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list)
    parts = PartSerializer(many=True, required=False, default=list)
    resolved = serializers.BooleanField(required=False, default=True)


class VisitReportSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    customer = serializers.IntegerField(source="visit.customer_id", read_only=True)

    class Meta:
        model = VisitReport
        fields = [
            "id",
            "visit",
            "customer",
            "hours",
            "work_done",
            "feedback",
            "tags",
            "resolved",
            "created_at",
            "feedback_seen_at",
        ]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaintenancePlan
        fields = [
            "id",
            "customer",
            "order",
            "product",
            "description",
            "interval_days",
            "start_date",
            "technician",
            "active",
            "generated_until",
        ]
        read_only_fields = ["active", "generated_until"]


class WarrantySerializer(serializers.Serializer):
    order_line = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Ticket.Warranty.choices)
    delivered_on = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    months = serializers.IntegerField(allow_null=True)
