from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("<int:order_id>/actions/<slug:action>/", views.order_action, name="order_action"),
    path("queue/", views.handoff_queue, name="handoff_queue"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("handoffs/<int:handoff_id>/acknowledge/", views.handoff_acknowledge, name="handoff_acknowledge"),
]
