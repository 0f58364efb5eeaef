from django.urls import path

from . import views

app_name = "fulfillment"

urlpatterns = [
    path("stock/", views.stock_list, name="stock_list"),
    path("stock/receive/", views.stock_receive, name="stock_receive"),
    path("stock/adjust/", views.stock_adjust, name="stock_adjust"),
    path("picklists/", views.pick_list, name="pick_list"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/start/", views.shipment_start, name="shipment_start"),
    path("shipments/<int:shipment_id>/", views.shipment_detail, name="shipment_detail"),
    path("shipments/<int:shipment_id>/pack/", views.shipment_pack, name="shipment_pack"),
    path("shipments/<int:shipment_id>/ship/", views.shipment_ship, name="shipment_ship"),
    path("shipments/<int:shipment_id>/deliver/", views.shipment_deliver, name="shipment_deliver"),
    path("shipments/<int:shipment_id>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("shipments/<int:shipment_id>/packing-slip/", views.packing_slip, name="packing_slip"),
    path("shipments/<int:shipment_id>/packing-slip.pdf", views.packing_slip_pdf, name="packing_slip_pdf"),
]
