"""The order planning API under /api/planning/: thin views over selectors and services."""

from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from orders.api_support import Pagination, RolePermission
from orders.models import WorkCenter

from . import selectors, services
from .models import ForecastVersion, Source
from .months import today, week_label, week_monday
from .permissions import (
    ACCURACY_READERS,
    CAPACITY_READERS,
    CONSENSUS_READERS,
    CONSENSUS_SETTERS,
    CONSENSUS_SIGNERS,
    PLANNING_USERS,
    readable_sources,
)
from .serializers import (
    AccuracyQuerySerializer,
    AccuracySerializer,
    CapacityQuerySerializer,
    ConsensusFilterSerializer,
    ConsensusInputSerializer,
    ConsensusSerializer,
    ForecastFilterSerializer,
    ForecastHistoryQuerySerializer,
    ForecastInputSerializer,
    ForecastSerializer,
    ForecastVersionSerializer,
    SignOffInputSerializer,
    SignOffResultSerializer,
)

ERRORS = {
    400: OpenApiResponse(description=gettext_lazy("Bad input: field errors say what to fix.")),
    403: OpenApiResponse(description=gettext_lazy("Your role may not do this.")),
}


def _query(serializer_class, request):
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ForecastListView(GenericAPIView):
    """GET: current forecasts of the sources your role may read (filters: source, product,
    family, search, month_from, month_to as YYYY-MM). POST: save one figure of a source your
    role enters; a new version is kept, the previous value too."""

    permission_classes = [RolePermission]
    read_roles = PLANNING_USERS
    write_roles = frozenset(services.SOURCE_EDITOR.values())
    serializer_class = ForecastSerializer
    pagination_class = Pagination
    filter_backends = []

    @extend_schema(parameters=[ForecastFilterSerializer], responses={200: ForecastSerializer(many=True), **ERRORS})
    def get(self, request):
        filters = _query(ForecastFilterSerializer, request)
        sources = readable_sources(request.user)
        if filters.get("source") and filters["source"] not in sources:
            raise PermissionDenied(_("Your role may not read this source."))
        qs = selectors.forecast_list(
            sources=sources,
            source=filters.get("source"),
            product_id=filters.get("product"),
            family=filters.get("family"),
            search=filters.get("search"),
            month_from=filters.get("month_from"),
            month_to=filters.get("month_to"),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ForecastSerializer(page, many=True).data)

    @extend_schema(request=ForecastInputSerializer, responses={201: ForecastSerializer, **ERRORS})
    def post(self, request):
        serializer = ForecastInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        forecast = services.forecast_save(
            source=Source(data["source"]),
            product=data["product"],
            month=data["month"],
            quantity=data["quantity"],
            actor=request.user,
            origin=ForecastVersion.Origin.API,
        )
        return Response(ForecastSerializer(forecast).data, status=status.HTTP_201_CREATED)


class ForecastHistoryView(GenericAPIView):
    """GET ?product=&source=&month=YYYY-MM: every version of one forecast cell, newest first."""

    permission_classes = [RolePermission]
    read_roles = PLANNING_USERS
    serializer_class = ForecastVersionSerializer
    pagination_class = Pagination
    filter_backends = []

    @extend_schema(parameters=[ForecastHistoryQuerySerializer], responses={200: ForecastVersionSerializer(many=True)})
    def get(self, request):
        query = _query(ForecastHistoryQuerySerializer, request)
        if query["source"] not in readable_sources(request.user):
            raise PermissionDenied(_("Your role may not read this source."))
        qs = selectors.forecast_history(source=query["source"], product_id=query["product"], month=query["month"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ForecastVersionSerializer(page, many=True).data)


class ConsensusView(GenericAPIView):
    """GET: consensus figures (filters: month, family, search, signed_off). POST: the demand
    planner sets a figure with a rationale; a signed-off figure that changes loses its sign-off."""

    permission_classes = [RolePermission]
    read_roles = CONSENSUS_READERS
    write_roles = CONSENSUS_SETTERS
    serializer_class = ConsensusSerializer
    pagination_class = Pagination
    filter_backends = []

    @extend_schema(parameters=[ConsensusFilterSerializer], responses={200: ConsensusSerializer(many=True)})
    def get(self, request):
        filters = _query(ConsensusFilterSerializer, request)
        qs = selectors.consensus_list(
            month=filters.get("month"),
            family=filters.get("family"),
            search=filters.get("search"),
            signed_off=filters.get("signed_off"),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ConsensusSerializer(page, many=True).data)

    @extend_schema(request=ConsensusInputSerializer, responses={200: ConsensusSerializer, **ERRORS})
    def post(self, request):
        serializer = ConsensusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        consensus = services.consensus_set(
            product=data["product"],
            month=data["month"],
            quantity=data["quantity"],
            rationale=data["rationale"],
            actor=request.user,
        )
        return Response(ConsensusSerializer(consensus).data)


class ConsensusSignOffView(GenericAPIView):
    """POST {"month": "YYYY-MM", "products": [ids]}: the production scheduler signs off the
    consensus of those products for that month; each sign-off is recorded as an event."""

    permission_classes = [RolePermission]
    write_roles = CONSENSUS_SIGNERS
    serializer_class = SignOffInputSerializer

    @extend_schema(request=SignOffInputSerializer, responses={200: SignOffResultSerializer, **ERRORS})
    def post(self, request):
        serializer = SignOffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.consensus_sign_off(
            month=serializer.validated_data["month"],
            product_ids=serializer.validated_data["products"],
            actor=request.user,
        )
        return Response({"signed_off": count})


class AccuracyView(GenericAPIView):
    """GET: each source's bias and WAPE against actual orders over the last 12 complete months,
    overall, and per product for `source` (default sales), worst misses first, paged."""

    permission_classes = [RolePermission]
    read_roles = ACCURACY_READERS
    serializer_class = AccuracySerializer
    pagination_class = Pagination
    filter_backends = []

    @extend_schema(
        parameters=[AccuracyQuerySerializer], responses={200: OpenApiResponse(description=_("overall + products"))}
    )
    def get(self, request):
        source = _query(AccuracyQuerySerializer, request).get("source") or Source.SALES
        first, end = selectors.accuracy_window()
        page = self.paginate_queryset(selectors.forecast_accuracy_by_product(source=source))
        products = [
            {
                "product": row["product_id"],
                "sku": row["product__sku"],
                **AccuracySerializer(selectors.accuracy_from_row(source, row)).data,
            }
            for row in page
        ]
        response = self.get_paginated_response(products)
        response.data = {
            "first_month": f"{first:%Y-%m}",
            "end_month": f"{end:%Y-%m}",
            "overall": [AccuracySerializer(selectors.forecast_accuracy(source=s)).data for s in Source],
            "source": source,
            **response.data,
        }
        return response


class CapacityView(GenericAPIView):
    """GET ?start=YYYY-MM-DD&weeks=13: load from the consensus against available hours per work
    center and ISO week, overloads flagged; work centers paged."""

    permission_classes = [RolePermission]
    read_roles = CAPACITY_READERS
    pagination_class = Pagination
    filter_backends = []

    @extend_schema(parameters=[CapacityQuerySerializer], responses={200: OpenApiResponse(description="rows")})
    def get(self, request):
        query = _query(CapacityQuerySerializer, request)
        start = week_monday(query.get("start") or today())
        page = self.paginate_queryset(WorkCenter.objects.filter(active=True).order_by("code", "id"))
        rows = selectors.capacity_plan(work_centers=list(page), start=start, weeks=query["weeks"])
        return self.get_paginated_response(
            [
                {
                    "work_center": row.work_center.pk,
                    "code": row.work_center.code,
                    "weeks": [
                        {
                            "week": week_label(week.monday),
                            "monday": week.monday,
                            "end": week.monday + timedelta(days=6),
                            "load_hours": str(week.load),
                            "available_hours": str(week.available),
                            "overloaded": week.overloaded,
                        }
                        for week in row.weeks
                    ],
                }
                for row in rows
            ]
        )
