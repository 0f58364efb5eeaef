from django.urls import path

from . import api

urlpatterns = [
    path("orders/", api.PortalOrderList.as_view(), name="portal-api-orders"),
    path("orders/<str:pk>/", api.PortalOrderDetail.as_view(), name="portal-api-order"),
    path("invoices/", api.PortalInvoiceList.as_view(), name="portal-api-invoices"),
]
