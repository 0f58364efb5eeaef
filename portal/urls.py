from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/reorder/", views.order_reorder, name="order_reorder"),
    path("orders/<int:order_id>/return/", views.order_return, name="order_return"),
    path("orders/<int:order_id>/service/", views.order_service, name="order_service"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("requests/", views.requests, name="requests"),
    path("preferences/", views.preferences, name="preferences"),
]
