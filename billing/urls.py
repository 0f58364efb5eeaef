from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("review/", views.review_queue, name="review_queue"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/post/", views.invoice_post, name="invoice_post"),
    path("invoices/<int:invoice_id>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:invoice_id>/query/", views.invoice_query, name="invoice_query"),
    path("invoices/<int:invoice_id>/answer/", views.invoice_answer, name="invoice_answer"),
    path("invoices/<int:invoice_id>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:invoice_id>/credit-note/", views.credit_note_issue, name="credit_note_issue"),
    path("invoices/<int:invoice_id>/document/", views.invoice_document, name="invoice_document"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("receivables/", views.receivables, name="receivables"),
    path("payments/", views.payment_record, name="payment_record"),
]
