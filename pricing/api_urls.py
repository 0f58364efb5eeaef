from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("price-lists", api.PriceListViewSet, basename="pricing-price-list")
router.register("customer-prices", api.CustomerPriceViewSet, basename="pricing-customer-price")
router.register("discounts", api.DiscountViewSet, basename="pricing-discount")

urlpatterns = [
    path("orders/<int:pk>/estimate/", api.OrderEstimate.as_view(), name="pricing-order-estimate"),
    path("orders/<int:pk>/discount/", api.OrderDiscount.as_view(), name="pricing-order-discount"),
    path("orders/<int:pk>/approval/", api.OrderApprovalRequest.as_view(), name="pricing-order-approval"),
    path("orders/<int:pk>/quote/", api.QuoteSend.as_view(), name="pricing-order-quote"),
    path("orders/<int:pk>/convert/", api.QuoteConvert.as_view(), name="pricing-order-convert"),
    path("approvals/", api.ApprovalList.as_view(), name="pricing-approvals"),
    path("approvals/<int:pk>/decide/", api.ApprovalDecide.as_view(), name="pricing-approval-decide"),
    *router.urls,
]
