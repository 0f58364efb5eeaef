from django.urls import path

from . import kpi_api as api

urlpatterns = [
    path("", api.KpiListView.as_view(), name="api-kpi-list"),
    path("waits/", api.WaitsView.as_view(), name="api-kpi-waits"),
    path("radar/", api.RadarView.as_view(), name="api-kpi-radar"),
    path("misses/", api.MissesView.as_view(), name="api-kpi-misses"),
    path("targets/", api.TargetsView.as_view(), name="api-kpi-targets"),
    path("<slug:key>/", api.KpiDetailView.as_view(), name="api-kpi-detail"),
    path("<slug:key>/orders/", api.KpiOrdersView.as_view(), name="api-kpi-orders"),
]
