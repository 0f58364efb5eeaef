from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("<int:order_id>/actions/<slug:action>/", views.order_action, name="order_action"),
    path("queue/", views.handoff_queue, name="handoff_queue"),
    path("home/", views.home, name="home"),
    path("sell-now/", views.sell_now, name="sell_now"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("handoffs/<int:handoff_id>/acknowledge/", views.handoff_acknowledge, name="handoff_acknowledge"),
]
