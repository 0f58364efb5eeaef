"""Fulfillment API: stock, back orders, the pick list and shipments (a carrier integration
confirms deliveries here)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import RolePermission
from orders.roles import Role
from orders.selectors import order_scope

from . import selectors, services
from .models import Shipment
from .serializers import (
    BackOrderSerializer,
    PickListRowSerializer,
    ShipmentDeliverSerializer,
    ShipmentPackSerializer,
    ShipmentSerializer,
    ShipmentShipSerializer,
    ShipmentStartSerializer,
    StockAdjustmentSerializer,
    StockLevelSerializer,
    StockReceiptSerializer,
)

READERS = frozenset(
    {Role.WAREHOUSE, Role.EXECUTIVE, Role.CUSTOMER_SERVICE, Role.SCHEDULER, Role.SALES_REP, Role.FINANCE}
)
WAREHOUSE = frozenset({Role.WAREHOUSE})


class FulfillmentView:
    permission_classes = [RolePermission]
    read_roles = READERS
    write_roles = WAREHOUSE


class StockList(FulfillmentView, generics.ListAPIView):
    serializer_class = StockLevelSerializer
    filterset_fields = ["product", "site"]
    search_fields = ["product__sku", "product__name"]

    def get_queryset(self):
        return selectors.stock_list()


class StockReceiptCreate(FulfillmentView, APIView):
    @extend_schema(request=StockReceiptSerializer, responses={201: StockLevelSerializer})
    def post(self, request):
        serializer = StockReceiptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stock = services.stock_receive(user=request.user, **serializer.validated_data)
        return Response(_stock_data(stock.pk), status=status.HTTP_201_CREATED)


class StockAdjustmentCreate(FulfillmentView, APIView):
    @extend_schema(request=StockAdjustmentSerializer, responses={201: StockLevelSerializer})
    def post(self, request):
        serializer = StockAdjustmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stock = services.stock_adjust(user=request.user, **serializer.validated_data)
        return Response(_stock_data(stock.pk), status=status.HTTP_201_CREATED)


def _stock_data(stock_id):
    return StockLevelSerializer(selectors.stock_list().get(pk=stock_id)).data


class BackOrderList(FulfillmentView, generics.ListAPIView):
    serializer_class = BackOrderSerializer
    filterset_fields = ["product", "order"]

    def get_queryset(self):
        return selectors.backorder_list()


class PickList(FulfillmentView, generics.ListAPIView):
    serializer_class = PickListRowSerializer
    filterset_fields = ["site"]
    ordering_fields = []

    def get_queryset(self):
        return selectors.pick_list()


class ShipmentListCreate(FulfillmentView, generics.ListAPIView):
    serializer_class = ShipmentSerializer
    filterset_fields = ["status", "order", "site"]
    search_fields = ["number", "tracking_number", "order__number"]

    def get_queryset(self):
        scope = order_scope(self.request.user, prefix="order__")
        return selectors.shipment_list().filter(scope).prefetch_related("lines__order_line__product")

    @extend_schema(request=ShipmentStartSerializer, responses={201: ShipmentSerializer})
    def post(self, request):
        serializer = ShipmentStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shipment = services.shipment_start(
            order_id=serializer.validated_data["order"].pk,
            site_id=serializer.validated_data["site"].pk,
            user=request.user,
        )
        return Response(_shipment_data(shipment.pk), status=status.HTTP_201_CREATED)


class ShipmentDetail(FulfillmentView, generics.RetrieveAPIView):
    serializer_class = ShipmentSerializer

    def get_queryset(self):
        scope = order_scope(self.request.user, prefix="order__")
        return selectors.shipment_list().filter(scope).prefetch_related("lines__order_line__product")


def _shipment_data(shipment_id):
    return ShipmentSerializer(selectors.shipment_detail(shipment_id=shipment_id)).data


class ShipmentStep(FulfillmentView, APIView):
    """POST /api/fulfillment/shipments/{id}/{pack|ship|deliver|cancel}/."""

    input_serializer = None

    def post(self, request, pk):
        shipment = get_object_or_404(Shipment.objects.only("id"), pk=pk)
        data = {}
        if self.input_serializer:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        self.run(shipment.pk, request.user, data)
        return Response(_shipment_data(shipment.pk))


class ShipmentPack(ShipmentStep):
    input_serializer = ShipmentPackSerializer

    @extend_schema(request=ShipmentPackSerializer, responses={200: ShipmentSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, shipment_id, user, data):
        services.shipment_pack(
            shipment_id=shipment_id,
            user=user,
            packages=data["packages"],
            weight_kg=data["weight_kg"],
            quantities={row["order_line"].pk: row["quantity"] for row in data["lines"]},
        )


class ShipmentShip(ShipmentStep):
    input_serializer = ShipmentShipSerializer

    @extend_schema(request=ShipmentShipSerializer, responses={200: ShipmentSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, shipment_id, user, data):
        services.shipment_ship(shipment_id=shipment_id, user=user, **data)


class ShipmentDeliver(ShipmentStep):
    input_serializer = ShipmentDeliverSerializer

    @extend_schema(request=ShipmentDeliverSerializer, responses={200: ShipmentSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, shipment_id, user, data):
        services.shipment_deliver(shipment_id=shipment_id, user=user, delivered_at=data["delivered_at"])


class ShipmentCancel(ShipmentStep):
    @extend_schema(request=None, responses={200: ShipmentSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, shipment_id, user, data):
        services.shipment_cancel(shipment_id=shipment_id, user=user)
