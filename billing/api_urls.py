from django.urls import path

from . import api

urlpatterns = [
    path("invoices/", api.InvoiceList.as_view(), name="billing-invoices"),
    path("invoices/<int:pk>/", api.InvoiceDetail.as_view(), name="billing-invoice"),
    path("invoices/<int:pk>/post/", api.InvoicePost.as_view(), name="billing-invoice-post"),
    path("invoices/<int:pk>/edit/", api.InvoiceEdit.as_view(), name="billing-invoice-edit"),
    path("invoices/<int:pk>/query/", api.InvoiceQuery.as_view(), name="billing-invoice-query"),
    path("invoices/<int:pk>/answer/", api.InvoiceAnswer.as_view(), name="billing-invoice-answer"),
    path("invoices/<int:pk>/cancel/", api.InvoiceCancel.as_view(), name="billing-invoice-cancel"),
    path("invoices/<int:pk>/credit-notes/", api.CreditNoteIssue.as_view(), name="billing-credit-note"),
    path("payments/", api.PaymentListCreate.as_view(), name="billing-payments"),
    path("receivables/", api.Receivables.as_view(), name="billing-receivables"),
]
