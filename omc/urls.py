from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

from orders.language_views import language_set

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:home", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    # operations: readiness, metrics, stuck work, import (docs/operations.md)
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("ops/", include("omc.ops_urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", language_set, name="set_language"),
    # The strings of our static scripts in the user's language (gettext/ngettext/interpolate).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/ping/", views.api_ping, name="api-ping"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script as a file, so the strict CSP holds there too.
    path("api/docs/", views.api_docs, name="api-docs"),
    path("api/fulfillment/", include("fulfillment.api_urls")),
    path("api/billing/", include("billing.api_urls")),
    path("api/pricing/", include("pricing.api_urls")),
    path("api/planning/", include("planning.api_urls")),
    path("api/scheduling/", include("scheduling.api_urls")),
    path("api/returns/", include("returns.api_urls")),
    path("api/aftersales/", include("aftersales.api_urls")),
    path("api/kpis/", include("omc.kpi_api_urls")),
    path("api/portal/", include("portal.api_urls")),
    path("api/", include("orders.api_urls")),
    path("dashboard/", include("omc.dashboard_urls")),
    path("orders/", include("orders.urls")),
    path("returns/", include("returns.urls")),
    path("aftersales/", include("aftersales.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("planning/", include("planning.urls")),
    path("fulfillment/", include("fulfillment.urls")),
    path("billing/", include("billing.urls")),
    path("pricing/", include("pricing.urls")),
    path("portal/", include("portal.urls")),
]
