from django.urls import path

from . import views

app_name = "returns"

urlpatterns = [
    path("", views.rma_list, name="rma_list"),
    path("new/", views.rma_create, name="rma_create"),
    path("policy/", views.policy_update, name="policy_update"),
    path("credits/", views.credits_due, name="credits_due"),
    path("<int:rma_id>/", views.rma_detail, name="rma_detail"),
    path("<int:rma_id>/approve/", views.rma_approve, name="rma_approve"),
    path("<int:rma_id>/reject/", views.rma_reject, name="rma_reject"),
    path("<int:rma_id>/receive/", views.rma_receive, name="rma_receive"),
    path("<int:rma_id>/inspect/", views.rma_inspect, name="rma_inspect"),
    path("<int:rma_id>/request-credit/", views.rma_request_credit, name="rma_request_credit"),
    path("<int:rma_id>/label/", views.rma_label, name="rma_label"),
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/new/<int:order_id>/", views.claim_create, name="claim_create"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:claim_id>/accept/", views.claim_accept, name="claim_accept"),
    path("claims/<int:claim_id>/reject/", views.claim_reject, name="claim_reject"),
]
