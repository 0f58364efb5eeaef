from django.urls import path

from . import views

app_name = "pricing"

urlpatterns = [
    path("orders/<int:order_id>/price/", views.order_price, name="order_price"),
    path("orders/<int:order_id>/discount/", views.order_line_discount, name="order_line_discount"),
    path("orders/<int:order_id>/approval/", views.approval_request, name="approval_request"),
    path("orders/<int:order_id>/quote/", views.quote_send, name="quote_send"),
    path("orders/<int:order_id>/convert/", views.quote_convert, name="quote_convert"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("approvals/<int:approval_id>/decide/", views.approval_decide, name="approval_decide"),
    path("quotes/<int:quote_id>/", views.quote_document, name="quote_document"),
    path("quotes/<int:quote_id>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("price-lists/", views.price_list_list, name="price_list_list"),
    path("price-lists/<int:price_list_id>/", views.price_list_detail, name="price_list_detail"),
    path("price-lists/<int:price_list_id>/import/", views.price_list_import, name="price_list_import"),
]
