from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("products", api.ProductViewSet, basename="product")
router.register("orders", api.OrderViewSet, basename="order")

urlpatterns = [
    path("orders/<str:pk>/actions/<str:action>/", api.OrderActionView.as_view(), name="order-action"),
    *router.urls,
]
