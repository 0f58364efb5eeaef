from django.urls import path

from . import staff_views, views

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
    # For the company's own people (sales, customer service, finance) and the invited contact.
    path("staff/customers/<int:customer_id>/contacts/", staff_views.contact_invite, name="contact_invite"),
    path(
        "staff/customers/<int:customer_id>/contacts/<int:contact_id>/deactivate/",
        staff_views.contact_deactivate,
        name="contact_deactivate",
    ),
    path("welcome/<uidb64>/<token>/", staff_views.SetPasswordView.as_view(), name="set_password"),
]
