"""The JSON API: thin views over the selectors and services."""

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .api_support import RolePermission
from .models import Customer, Order, Product
from .roles import ALL_ROLES, CUSTOMER_EDITORS, ORDER_CREATORS, PRODUCT_EDITORS, Department
from .serializers import (
    CustomerSerializer,
    OrderActionSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderListSerializer,
    ProductSerializer,
)
from .states import OrderStatus


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers: any role reads; sales, customer service and finance edit."""

    serializer_class = CustomerSerializer
    permission_classes = [RolePermission]
    write_roles = CUSTOMER_EDITORS
    filterset_fields = ["tier", "currency", "active", "sales_rep"]
    search_fields = ["code", "name"]
    ordering_fields = ["name", "code", "created_at"]
    queryset = Customer.objects.select_related("sales_rep").order_by("name", "id")


class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Products: any role reads; estimators edit costs and prices."""

    serializer_class = ProductSerializer
    permission_classes = [RolePermission]
    write_roles = PRODUCT_EDITORS
    filterset_fields = ["family", "active", "currency"]
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name", "list_price"]
    queryset = Product.objects.order_by("sku")


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    owner_department = django_filters.ChoiceFilter(choices=Department.choices)
    overdue = django_filters.BooleanFilter(field_name="is_overdue")

    class Meta:
        model = Order
        fields = ["status", "customer", "owner_department", "overdue"]


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders: any role reads; sales reps and customer service create drafts."""

    permission_classes = [RolePermission]
    write_roles = ORDER_CREATORS
    filterset_class = OrderFilter
    search_fields = ["number", "customer_po", "customer__name"]
    ordering_fields = ["created_at", "requested_date", "promised_date", "priority_score"]

    def get_queryset(self):
        return selectors.order_list(user=self.request.user)

    def get_serializer_class(self):
        return OrderListSerializer

    def retrieve(self, request, *args, **kwargs):
        scope = selectors.order_scope(request.user)
        order = get_object_or_404(Order.objects.filter(scope).only("id"), pk=_int_or_404(kwargs["pk"]))
        return Response(order_representation(order.pk, request.user))

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderDetailSerializer})
    def create(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = services.order_create(
            customer=data["customer"],
            customer_po=data["customer_po"],
            requested_date=data["requested_date"],
            lines=[
                {
                    "product": line["product"],
                    "quantity": line["quantity"],
                    "discount_percent": line.get("discount_percent"),
                }
                for line in data["lines"]
            ],
            created_by=request.user,
        )
        return Response(order_representation(order.pk, request.user), status=status.HTTP_201_CREATED)


def order_representation(order_id: int, user) -> dict:
    order = selectors.order_for_api(order_id=order_id)
    allowed = [t.action for t in services.order_allowed_transitions(order=order, user=user)]
    return OrderDetailSerializer(order, context={"allowed_actions": allowed}).data


def _int_or_404(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number


class OrderActionView(APIView):
    """POST /api/orders/{id}/actions/{action}/ moves the order through the state machine.

    Any OMC role may call it; the transition table decides whether the caller's role may
    make this particular move (403) and whether the status allows it (409)."""

    permission_classes = [RolePermission]
    write_roles = ALL_ROLES

    @extend_schema(
        request=OrderActionSerializer,
        responses={
            200: OrderDetailSerializer,
            400: OpenApiResponse(description=_("A guard failed: field errors say what to fix.")),
            403: OpenApiResponse(description=_("Your role may not make this move.")),
            409: OpenApiResponse(description=_("Not allowed from the current status; lists allowed_actions.")),
        },
    )
    def post(self, request, pk, action):
        scope = selectors.order_scope(request.user)
        order = get_object_or_404(Order.objects.filter(scope).only("id"), pk=_int_or_404(pk))
        serializer = OrderActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_transition(
            order_id=order.pk, action=action, actor=request.user, note=serializer.validated_data["note"]
        )
        return Response(order_representation(order.pk, request.user))
