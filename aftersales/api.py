"""Service API: tickets, visits and their reports, maintenance plans, feedback, warranty checks."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import RolePermission
from orders.models import OrderLine
from orders.roles import Role, user_has_role

from . import selectors, services
from .models import MaintenancePlan, Ticket, Visit
from .serializers import (
    PlanSerializer,
    TicketCreateSerializer,
    TicketSerializer,
    VisitReportInputSerializer,
    VisitReportSerializer,
    VisitScheduleSerializer,
    VisitSerializer,
    WarrantySerializer,
)

MANAGERS = frozenset(selectors.MANAGERS)
FIELD = frozenset(selectors.FIELD)
READERS = frozenset(selectors.READERS)


class ServiceView:
    permission_classes = [RolePermission]
    read_roles = READERS
    write_roles = MANAGERS


class TicketListCreate(ServiceView, generics.ListCreateAPIView):
    serializer_class = TicketSerializer
    filterset_fields = ["status", "kind", "priority", "customer", "order", "warranty"]
    search_fields = ["number", "subject", "customer__name"]

    def get_queryset(self):
        return selectors.ticket_list()

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def post(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_create(user=request.user, **serializer.validated_data)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetail(ServiceView, generics.RetrieveAPIView):
    serializer_class = TicketSerializer
    queryset = Ticket.objects.select_related("customer")


class TicketVisitCreate(ServiceView, APIView):
    @extend_schema(request=VisitScheduleSerializer, responses={201: VisitSerializer})
    def post(self, request, pk):
        get_object_or_404(Ticket.objects.only("id"), pk=pk)
        serializer = VisitScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = services.visit_schedule(ticket_id=pk, user=request.user, **serializer.validated_data)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class VisitList(ServiceView, generics.ListAPIView):
    serializer_class = VisitSerializer
    filterset_fields = ["status", "kind", "customer", "technician", "ticket", "plan"]

    def get_queryset(self):
        return selectors.visit_list()


class VisitReportCreate(ServiceView, APIView):
    write_roles = FIELD

    @extend_schema(request=VisitReportInputSerializer, responses={201: VisitReportSerializer})
    def post(self, request, pk):
        get_object_or_404(Visit.objects.only("id"), pk=pk)
        serializer = VisitReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = services.visit_report_file(
            visit_id=pk,
            user=request.user,
            hours=data["hours"],
            work_done=data["work_done"],
            feedback=data["feedback"],
            tags=data["tags"],
            parts=[(row["product"], row["quantity"]) for row in data["parts"]],
            resolved=data["resolved"],
        )
        return Response(VisitReportSerializer(report).data, status=status.HTTP_201_CREATED)


class FeedbackList(ServiceView, generics.ListAPIView):
    """Visit reports with feedback; a sales rep sees their own customers'."""

    serializer_class = VisitReportSerializer
    read_roles = frozenset(selectors.FEEDBACK_READERS)

    def get_queryset(self):
        mine = user_has_role(self.request.user, {Role.SALES_REP}) and not user_has_role(
            self.request.user, {Role.EXECUTIVE, Role.CUSTOMER_SERVICE}
        )
        return selectors.feedback_list(sales_rep=self.request.user if mine else None)


class PlanListCreate(ServiceView, generics.ListCreateAPIView):
    serializer_class = PlanSerializer
    filterset_fields = ["customer", "active"]

    def get_queryset(self):
        return MaintenancePlan.objects.order_by("id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.maintenance_plan_create(user=self.request.user, **data)


class WarrantyCheck(ServiceView, APIView):
    @extend_schema(parameters=[OpenApiParameter("order_line", int, required=True)], responses={200: WarrantySerializer})
    def get(self, request):
        line_id = request.query_params.get("order_line", "")
        line = (
            OrderLine.objects.select_related("product").filter(pk=int(line_id)).first() if line_id.isdigit() else None
        )
        if line is None:
            raise serializers.ValidationError({"order_line": ["An existing order line id is required."]})
        check = selectors.warranty_check(order_line=line)
        return Response(
            WarrantySerializer(
                {
                    "order_line": line.pk,
                    "status": check.status,
                    "delivered_on": check.delivered_on,
                    "until": check.until,
                    "months": check.months,
                }
            ).data
        )
