from django.urls import path

from . import dashboard_views as views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("targets/", views.targets, name="targets"),
    path("radar/", views.radar, name="radar"),
    path("kpi/<slug:key>/orders/", views.drilldown, name="drilldown"),
]
