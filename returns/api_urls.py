from django.urls import path

from . import api

urlpatterns = [
    path("rmas/", api.RmaListCreate.as_view(), name="returns-rmas"),
    path("rmas/<int:pk>/", api.RmaDetail.as_view(), name="returns-rma"),
    path("rmas/<int:pk>/approve/", api.RmaApprove.as_view(), name="returns-rma-approve"),
    path("rmas/<int:pk>/reject/", api.RmaReject.as_view(), name="returns-rma-reject"),
    path("rmas/<int:pk>/receive/", api.RmaReceive.as_view(), name="returns-rma-receive"),
    path("rmas/<int:pk>/inspect/", api.RmaInspect.as_view(), name="returns-rma-inspect"),
    path("returnable-lines/", api.ReturnableLines.as_view(), name="returns-returnable-lines"),
    path("claims/", api.ClaimListCreate.as_view(), name="returns-claims"),
    path("claims/<int:pk>/", api.ClaimDetail.as_view(), name="returns-claim"),
    path("claims/<int:pk>/accept/", api.ClaimAccept.as_view(), name="returns-claim-accept"),
    path("claims/<int:pk>/reject/", api.ClaimReject.as_view(), name="returns-claim-reject"),
]
