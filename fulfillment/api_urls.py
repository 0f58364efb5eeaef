from django.urls import path

from . import api

urlpatterns = [
    path("stock/", api.StockList.as_view(), name="fulfillment-stock"),
    path("stock/receipts/", api.StockReceiptCreate.as_view(), name="fulfillment-stock-receipt"),
    path("stock/adjustments/", api.StockAdjustmentCreate.as_view(), name="fulfillment-stock-adjustment"),
    path("backorders/", api.BackOrderList.as_view(), name="fulfillment-backorders"),
    path("pick-list/", api.PickList.as_view(), name="fulfillment-pick-list"),
    path("shipments/", api.ShipmentListCreate.as_view(), name="fulfillment-shipments"),
    path("shipments/<int:pk>/", api.ShipmentDetail.as_view(), name="fulfillment-shipment"),
    path("shipments/<int:pk>/pack/", api.ShipmentPack.as_view(), name="fulfillment-shipment-pack"),
    path("shipments/<int:pk>/ship/", api.ShipmentShip.as_view(), name="fulfillment-shipment-ship"),
    path("shipments/<int:pk>/deliver/", api.ShipmentDeliver.as_view(), name="fulfillment-shipment-deliver"),
    path("shipments/<int:pk>/cancel/", api.ShipmentCancel.as_view(), name="fulfillment-shipment-cancel"),
]
