"""KPI API under /api/kpis/ (executives only): thin views over omc.kpis."""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import Pagination, RolePermission
from orders.reporting import reporting
from orders.roles import Role

from . import kpis
from .dashboard_forms import KpiFilterForm, KpiTargetsForm

EXECUTIVES = frozenset({Role.EXECUTIVE})


class ExecutiveView(APIView):
    permission_classes = [RolePermission]
    read_roles = EXECUTIVES
    write_roles = EXECUTIVES

    def dispatch(self, request, *args, **kwargs):
        # KPI reads go to the replica when there is one; a write (targets) and what it reads back
        # stay on the primary.
        if request.method == "GET":
            with reporting():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def filters(self, request) -> kpis.Filters:
        form = KpiFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return form.filters()


FILTER_PARAMETERS = [
    OpenApiParameter(
        "period", OpenApiTypes.STR, enum=list(kpis.PERIOD_DAYS), description=gettext_lazy("Last N days (default 90).")
    ),
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description=gettext_lazy("With end: an explicit period of whole days.")
    ),
    OpenApiParameter("end", OpenApiTypes.DATE),
    OpenApiParameter("site", OpenApiTypes.INT),
    OpenApiParameter("tier", OpenApiTypes.STR),
    OpenApiParameter("sales_rep", OpenApiTypes.INT),
    OpenApiParameter("family", OpenApiTypes.STR),
]


class TrendPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    value = serializers.CharField(allow_null=True)


class KpiSerializer(serializers.Serializer):
    """Documents the shape of one KPI (the views return Card.as_dict())."""

    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    definition = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    detail = serializers.CharField()
    note = serializers.CharField()
    empty = serializers.CharField()
    trend = TrendPointSerializer(many=True)
    target = serializers.CharField(allow_null=True)
    direction = serializers.CharField()
    status = serializers.ChoiceField(choices=["met", "missed", "no_target", "no_data"])
    has_orders = serializers.BooleanField()
    link = serializers.CharField()


class KpiListSerializer(serializers.Serializer):
    period = serializers.DictField()
    kpis = KpiSerializer(many=True)


def _period(f: kpis.Filters) -> dict:
    return {"start": f.start, "end": f.end, **{k: v for k, v in f.query().items() if k not in ("start", "end")}}


class KpiListView(ExecutiveView):
    """Every KPI: value, 12-month trend, target and status against it."""

    @extend_schema(operation_id="kpis_list", parameters=FILTER_PARAMETERS, responses={200: KpiListSerializer})
    def get(self, request):
        f = self.filters(request)
        return Response({"period": _period(f), "kpis": [card.as_dict() for card in kpis.kpi_cards(f)]})


class KpiDetailView(ExecutiveView):
    @extend_schema(operation_id="kpis_detail", parameters=FILTER_PARAMETERS, responses={200: KpiSerializer})
    def get(self, request, key):
        if key not in kpis.KPI_BY_KEY:
            raise NotFound("Unknown KPI.")
        f = self.filters(request)
        return Response({"period": _period(f), **kpis.kpi_cards(f, keys=[key])[0].as_dict()})


class OrderRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    customer = serializers.CharField(source="customer.name")
    status = serializers.CharField()
    owner_department = serializers.CharField()
    promised_date = serializers.DateField()
    created_at = serializers.DateTimeField()


class KpiOrdersView(ExecutiveView):
    """The orders behind a KPI (the drill-down), paged."""

    @extend_schema(
        operation_id="kpis_orders", parameters=FILTER_PARAMETERS, responses={200: OrderRowSerializer(many=True)}
    )
    def get(self, request, key):
        f = self.filters(request)
        try:
            orders = kpis.kpi_orders(key, f)
        except KeyError:
            raise NotFound("No orders stand behind this KPI.") from None
        paginator = Pagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderRowSerializer(page, many=True).data)


class WaitSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    mean_hours = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    median_hours = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    p90_hours = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)


class WaitsSerializer(serializers.Serializer):
    period = serializers.DictField()
    percentiles = serializers.BooleanField()
    steps = WaitSerializer(many=True)
    handoffs = WaitSerializer(many=True)


class WaitsView(ExecutiveView):
    """Where do our orders wait: hours per step and per hand-off (median, p90, mean)."""

    @extend_schema(operation_id="kpis_waits", parameters=FILTER_PARAMETERS, responses={200: WaitsSerializer})
    def get(self, request):
        f = self.filters(request)
        waits = kpis.waits(f)
        return Response(
            {
                "period": _period(f),
                "percentiles": waits["percentiles"],
                "steps": WaitSerializer(waits["steps"], many=True).data,
                "handoffs": WaitSerializer(waits["handoffs"], many=True).data,
            }
        )


class RadarRowSerializer(serializers.Serializer):
    handoff_id = serializers.IntegerField(source="id")
    order_id = serializers.IntegerField()
    order_number = serializers.CharField(source="order.number")
    customer = serializers.CharField(source="order.customer.name")
    tier = serializers.CharField(source="order.customer.tier")
    order_value = serializers.DecimalField(max_digits=18, decimal_places=2)
    status = serializers.CharField()
    step = serializers.CharField()
    held_by_department = serializers.CharField(source="to_department")
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None, allow_null=True)
    due_at = serializers.DateTimeField()


class RadarPageSerializer(serializers.Serializer):
    """The radar's paged answer, as the schema documents it."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RadarRowSerializer(many=True)


class RadarView(ExecutiveView):
    """Open hand-offs past due, strategic customers and big orders first, paged."""

    @extend_schema(operation_id="kpis_radar", parameters=FILTER_PARAMETERS, responses={200: RadarPageSerializer})
    def get(self, request):
        f = self.filters(request)
        paginator = Pagination()
        page = paginator.paginate_queryset(kpis.radar(f), request, view=self)
        return paginator.get_paginated_response(RadarRowSerializer(page, many=True).data)


class MissSerializer(serializers.Serializer):
    step = serializers.CharField()
    label = serializers.CharField()
    orders = serializers.IntegerField()
    excess_hours = serializers.CharField()


class MissesSerializer(serializers.Serializer):
    period = serializers.DictField()
    late_orders = serializers.IntegerField()
    within_service_levels = serializers.IntegerField()
    steps = MissSerializer(many=True)


class MissesView(ExecutiveView):
    """Late orders of the period attributed to the step that ran furthest past its service level."""

    @extend_schema(operation_id="kpis_misses", parameters=FILTER_PARAMETERS, responses={200: MissesSerializer})
    def get(self, request):
        f = self.filters(request)
        misses = kpis.miss_attribution(f)
        return Response(
            {
                "period": _period(f),
                "late_orders": misses["late_orders"],
                "within_service_levels": misses["within_service_levels"],
                "steps": [
                    {"step": m.step, "label": m.label, "orders": m.orders, "excess_hours": str(m.excess_hours)}
                    for m in misses["steps"]
                ],
            }
        )


class TargetSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    direction = serializers.CharField()
    target = serializers.CharField(allow_null=True)
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class TargetsSerializer(serializers.Serializer):
    targets = TargetSerializer(many=True)


class TargetsView(ExecutiveView):
    """GET the targets; PUT {key: value or null, ...} to set them."""

    @extend_schema(operation_id="kpis_targets", responses={200: TargetsSerializer})
    def get(self, request):
        return Response(_targets_body())

    @extend_schema(operation_id="kpis_targets_set", request=OpenApiTypes.OBJECT, responses={200: TargetsSerializer})
    def put(self, request):
        keys = set(request.data) if hasattr(request.data, "keys") else set()
        unknown = keys - set(kpis.KPI_BY_KEY)
        if unknown:
            raise ValidationError({key: ["Unknown KPI."] for key in sorted(unknown)})
        form = KpiTargetsForm({k: ("" if v is None else v) for k, v in request.data.items()})
        if not form.is_valid():
            raise ValidationError({k: v for k, v in form.errors.items() if k in keys})
        kpis.kpi_targets_save(values={k: form.cleaned_data[k] for k in keys}, user=request.user)
        return Response(_targets_body())


def _targets_body() -> dict:
    current = kpis.targets()
    return {
        "targets": [
            {
                "key": kpi.key,
                "label": kpi.label,
                "direction": kpi.direction,
                "target": str(current[kpi.key].target) if kpi.key in current else None,
                "updated_by": getattr(current[kpi.key].updated_by, "username", None) if kpi.key in current else None,
                "updated_at": current[kpi.key].updated_at if kpi.key in current else None,
            }
            for kpi in kpis.KPIS
        ]
    }
