"""Pricing API: price lists, customer prices, discounts, and pricing an order (estimate,
approval, quote)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import RolePermission
from orders.models import Order
from orders.roles import Role
from orders.selectors import order_scope

from . import selectors, services
from .models import CustomerPrice, Discount, PriceApproval, PriceList, PriceListItem
from .serializers import (
    ApprovalSerializer,
    CustomerPriceSerializer,
    DecisionSerializer,
    DiscountSerializer,
    DiscountSetSerializer,
    PriceListSerializer,
    QuoteSendSerializer,
    QuoteSerializer,
    cost_estimate_data,
)

READERS = selectors.PRICING_READERS
ESTIMATORS = frozenset({Role.ESTIMATOR})


class MasterData(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    permission_classes = [RolePermission]
    read_roles = READERS
    write_roles = ESTIMATORS


class PriceListViewSet(MasterData):
    """Price lists with their items (quantity breaks); estimators create them."""

    serializer_class = PriceListSerializer
    filterset_fields = ["currency", "active"]
    queryset = PriceList.objects.prefetch_related("items").order_by("currency", "name", "-valid_from")

    def perform_create(self, serializer):
        data = serializer.validated_data
        services.price_list_check_overlap(
            currency=data["currency"], valid_from=data["valid_from"], valid_to=data.get("valid_to"), name=data["name"]
        )
        with transaction.atomic():
            items = data.pop("items", [])
            price_list = PriceList.objects.create(**data)
            PriceListItem.objects.bulk_create(PriceListItem(price_list=price_list, **item) for item in items)
        serializer.instance = price_list


class CustomerPriceViewSet(MasterData):
    serializer_class = CustomerPriceSerializer
    filterset_fields = ["customer", "product", "currency"]
    queryset = CustomerPrice.objects.order_by("customer", "product", "-valid_from")

    def perform_create(self, serializer):
        data = serializer.validated_data
        services.customer_price_check_overlap(
            customer=data["customer"],
            product=data["product"],
            currency=data["currency"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
        )
        serializer.save()


class DiscountViewSet(MasterData):
    serializer_class = DiscountSerializer
    filterset_fields = ["customer", "tier", "product_family"]
    queryset = Discount.objects.order_by("-percent", "id")


class OrderPricingView(APIView):
    permission_classes = [RolePermission]
    read_roles = selectors.MARGIN_VIEWERS
    write_roles = selectors.PRICERS

    def order(self, pk) -> Order:
        # Another rep's customer's order is 404 for a sales rep (orders.selectors.order_scope).
        scope = order_scope(self.request.user)
        return get_object_or_404(Order.objects.filter(scope).select_related("customer"), pk=pk)


class OrderEstimate(OrderPricingView):
    """GET the cost to serve and margin (roles that may see margins); POST prices the draft from the lists."""

    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        return Response(cost_estimate_data(self.order(pk)))

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, pk):
        order = self.order(pk)
        services.order_price(order_id=order.pk, user=request.user)
        return Response(cost_estimate_data(order))


class OrderDiscount(OrderPricingView):
    @extend_schema(request=DiscountSetSerializer, responses={200: dict})
    def post(self, request, pk):
        order = self.order(pk)
        serializer = DiscountSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_line_discount_set(order_id=order.pk, user=request.user, **serializer.validated_data)
        return Response({"approval_needed": services.approval_reasons(order, list(order.lines.all()))})


class OrderApprovalRequest(OrderPricingView):
    @extend_schema(request=None, responses={201: ApprovalSerializer})
    def post(self, request, pk):
        approval = services.approval_request(order_id=self.order(pk).pk, user=request.user)
        return Response(ApprovalSerializer(approval).data, status=status.HTTP_201_CREATED)


class ApprovalList(generics.ListAPIView):
    permission_classes = [RolePermission]
    read_roles = selectors.APPROVERS | selectors.PRICERS
    serializer_class = ApprovalSerializer
    filterset_fields = ["status", "order"]
    queryset = PriceApproval.objects.order_by("-requested_at", "-id")


class ApprovalDecide(APIView):
    permission_classes = [RolePermission]
    write_roles = selectors.APPROVERS

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    def post(self, request, pk):
        approval = get_object_or_404(PriceApproval, pk=pk)
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = services.approval_decide(approval_id=approval.pk, user=request.user, **serializer.validated_data)
        return Response(ApprovalSerializer(decided).data)


class QuoteSend(OrderPricingView):
    write_roles = selectors.QUOTERS

    @extend_schema(request=QuoteSendSerializer, responses={201: QuoteSerializer})
    def post(self, request, pk):
        order = self.order(pk)
        serializer = QuoteSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = services.quote_send(order_id=order.pk, user=request.user, **serializer.validated_data)
        return Response(QuoteSerializer(quote).data, status=status.HTTP_201_CREATED)


class QuoteConvert(OrderPricingView):
    write_roles = selectors.QUOTERS | {Role.CUSTOMER_SERVICE}

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, pk):
        order = services.quote_convert(order_id=self.order(pk).pk, user=request.user)
        return Response({"order": order.pk, "status": order.status})
