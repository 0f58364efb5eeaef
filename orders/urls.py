from django.urls import path

from . import entry_views, views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("<int:order_id>/actions/<slug:action>/", views.order_action, name="order_action"),
    path("<int:order_id>/promise/", views.order_promise_change, name="order_promise_change"),
    path("queue/", views.handoff_queue, name="handoff_queue"),
    path("home/", views.home, name="home"),
    path("new/", entry_views.order_new, name="order_new"),
    path("new/customers/", entry_views.customer_search, name="customer_search"),
    path("new/products/", entry_views.product_search, name="product_search"),
    path("<int:order_id>/edit/", entry_views.order_edit, name="order_edit"),
    path("<int:order_id>/edit/header/", entry_views.order_header_save, name="order_header_save"),
    path("<int:order_id>/edit/lines/", entry_views.order_line_add, name="order_line_add"),
    path("<int:order_id>/edit/lines/<int:line_no>/", entry_views.order_line_update, name="order_line_update"),
    path("<int:order_id>/edit/lines/<int:line_no>/remove/", entry_views.order_line_remove, name="order_line_remove"),
    path("review/", entry_views.review_queue, name="review_queue"),
    path("review/accept/", entry_views.review_bulk_accept, name="review_bulk_accept"),
    path("priority/", entry_views.priority_settings, name="priority_settings"),
    path("sell-now/", views.sell_now, name="sell_now"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("handoffs/<int:handoff_id>/acknowledge/", views.handoff_acknowledge, name="handoff_acknowledge"),
]
