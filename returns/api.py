"""Returns API: RMAs (create, approve, reject, receive, inspect), what may come back, claims."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import RolePermission
from orders.models import Customer
from orders.roles import Role

from . import selectors, services
from .models import Claim, ReturnAuthorization
from .serializers import (
    ClaimCreateSerializer,
    ClaimSerializer,
    ReturnableLineSerializer,
    ReturnReasonSerializer,
    RmaCreateSerializer,
    RmaDetailSerializer,
    RmaInspectSerializer,
    RmaReceiveSerializer,
    RmaSerializer,
)

MANAGERS = frozenset(selectors.RMA_MANAGERS)
RECEIVERS = frozenset(selectors.RMA_RECEIVERS)
READERS = frozenset(selectors.READERS - {Role.SALES_REP})


class ReturnsView:
    permission_classes = [RolePermission]
    read_roles = READERS
    write_roles = MANAGERS


def _rma(pk: int):
    return RmaDetailSerializer(selectors.rma_detail(rma_id=pk)).data


class RmaListCreate(ReturnsView, generics.ListCreateAPIView):
    serializer_class = RmaSerializer
    filterset_fields = ["status", "customer", "resolution", "reason"]
    search_fields = ["number", "customer__name"]

    def get_queryset(self):
        return selectors.rma_list()

    @extend_schema(request=RmaCreateSerializer, responses={201: RmaDetailSerializer})
    def post(self, request):
        serializer = RmaCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rma = services.rma_create(
            customer=data["customer"],
            lines={row["order_line"]: row["quantity"] for row in data["lines"]},
            reason=data["reason"],
            resolution=data["resolution"],
            note=data["note"],
            user=request.user,
        )
        return Response(_rma(rma.pk), status=status.HTTP_201_CREATED)


class RmaDetail(ReturnsView, generics.RetrieveAPIView):
    serializer_class = RmaDetailSerializer

    def get_queryset(self):
        return ReturnAuthorization.objects.select_related("customer", "replacement_order")


class RmaStep(ReturnsView, APIView):
    input_serializer = None

    def post(self, request, pk):
        get_object_or_404(ReturnAuthorization.objects.only("id"), pk=pk)
        data = {}
        if self.input_serializer:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        self.run(pk, request.user, data)
        return Response(_rma(pk))


class RmaApprove(RmaStep):
    @extend_schema(request=None, responses={200: RmaDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, pk, user, data):
        services.rma_approve(rma_id=pk, user=user)


class RmaReject(RmaStep):
    input_serializer = ReturnReasonSerializer

    @extend_schema(request=ReturnReasonSerializer, responses={200: RmaDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, pk, user, data):
        services.rma_reject(rma_id=pk, user=user, reason=data["reason"])


class RmaReceive(RmaStep):
    write_roles = RECEIVERS
    input_serializer = RmaReceiveSerializer

    @extend_schema(request=RmaReceiveSerializer, responses={200: RmaDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, pk, user, data):
        services.rma_receive(
            rma_id=pk, user=user, site=data["site"], quantities={row["line"]: row["quantity"] for row in data["lines"]}
        )


class RmaInspect(RmaStep):
    write_roles = RECEIVERS
    input_serializer = RmaInspectSerializer

    @extend_schema(request=RmaInspectSerializer, responses={200: RmaDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, pk, user, data):
        services.rma_inspect(
            rma_id=pk,
            user=user,
            dispositions={row["line"]: row["disposition"] for row in data["lines"]},
            notes={row["line"]: row["note"] for row in data["lines"]},
        )


class ReturnableLines(ReturnsView, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("customer", int, required=True)],
        responses={200: ReturnableLineSerializer(many=True)},
    )
    def get(self, request):
        customer_id = request.query_params.get("customer", "")
        if not customer_id.isdigit() or not Customer.objects.filter(pk=int(customer_id)).exists():
            raise serializers.ValidationError({"customer": ["A customer id is required."]})
        rows = selectors.returnable_lines(customer_id=int(customer_id))
        return Response(ReturnableLineSerializer(rows, many=True).data)


class ClaimView(ReturnsView):
    read_roles = frozenset({Role.CUSTOMER_SERVICE, Role.FINANCE, Role.EXECUTIVE})


class ClaimListCreate(ClaimView, generics.ListCreateAPIView):
    serializer_class = ClaimSerializer
    filterset_fields = ["status", "kind", "customer", "order", "invoice_id"]
    search_fields = ["number", "invoice_number", "customer__name"]

    def get_queryset(self):
        return selectors.claim_list().prefetch_related("lines")

    @extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer})
    def post(self, request):
        serializer = ClaimCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = services.claim_open(
            order=data["order"],
            invoice_id=data["invoice_id"],
            invoice_number=data["invoice_number"],
            kind=data["kind"],
            description=data["description"],
            lines={
                row["order_line"]: {"quantity": row["quantity"], "unit_price": row["unit_price"]}
                for row in data["lines"]
            },
            user=request.user,
        )
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimDetail(ClaimView, generics.RetrieveAPIView):
    serializer_class = ClaimSerializer
    queryset = Claim.objects.prefetch_related("lines")


class ClaimAccept(ClaimView, APIView):
    @extend_schema(request=None, responses={200: ClaimSerializer})
    def post(self, request, pk):
        get_object_or_404(Claim.objects.only("id"), pk=pk)
        claim = services.claim_accept(claim_id=pk, user=request.user)
        return Response(ClaimSerializer(claim).data)


class ClaimReject(ClaimView, APIView):
    @extend_schema(request=ReturnReasonSerializer, responses={200: ClaimSerializer})
    def post(self, request, pk):
        get_object_or_404(Claim.objects.only("id"), pk=pk)
        serializer = ReturnReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.claim_reject(claim_id=pk, user=request.user, reason=serializer.validated_data["reason"])
        return Response(ClaimSerializer(claim).data)
