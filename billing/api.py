"""Billing API: invoices and their review, credit notes, payments, receivables figures."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import RolePermission
from orders.roles import Role
from orders.selectors import order_scope

from . import selectors, services
from .models import Invoice, Payment
from .serializers import (
    AnswerSerializer,
    CreditNoteSerializer,
    InvoiceDetailSerializer,
    InvoiceEditSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    QuestionSerializer,
    ReasonSerializer,
)

READERS = frozenset(selectors.BILLING_READERS)
FINANCE = frozenset({Role.FINANCE})


class BillingView:
    permission_classes = [RolePermission]
    read_roles = READERS
    write_roles = FINANCE


class InvoiceList(BillingView, generics.ListAPIView):
    serializer_class = InvoiceSerializer
    filterset_fields = ["status", "kind", "customer", "order"]
    search_fields = ["number", "customer__name", "customer_po"]

    def get_queryset(self):
        return selectors.invoice_list().filter(order_scope(self.request.user))


class InvoiceDetail(BillingView, generics.RetrieveAPIView):
    serializer_class = InvoiceDetailSerializer

    def get_queryset(self):
        scope = order_scope(self.request.user)  # a sales rep: not another rep's customer's (404)
        return Invoice.objects.filter(scope).select_related("customer", "order").prefetch_related("lines")


def _detail(invoice_id):
    return InvoiceDetailSerializer(selectors.invoice_detail(invoice_id=invoice_id)).data


class InvoiceStep(BillingView, APIView):
    """POST /api/billing/invoices/{id}/<step>/ with the step's input; returns the invoice."""

    input_serializer = None

    def post(self, request, pk):
        invoice = get_object_or_404(Invoice.objects.filter(order_scope(request.user)).only("id"), pk=pk)
        data = {}
        if self.input_serializer:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = self.run(invoice.pk, request.user, data)
        return Response(_detail(result.pk), status=self.success_status)

    success_status = status.HTTP_200_OK


class InvoicePost(InvoiceStep):
    @extend_schema(request=None, responses={200: InvoiceDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, invoice_id, user, data):
        return services.invoice_post(invoice_id=invoice_id, user=user)


class InvoiceEdit(InvoiceStep):
    input_serializer = InvoiceEditSerializer

    @extend_schema(request=InvoiceEditSerializer, responses={200: InvoiceDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, invoice_id, user, data):
        return services.invoice_edit(
            invoice_id=invoice_id,
            user=user,
            reason=data["reason"],
            customer_po=data["customer_po"],
            quantities={row["line"]: row["quantity"] for row in data["lines"]},
        )


class InvoiceQuery(InvoiceStep):
    input_serializer = QuestionSerializer

    @extend_schema(request=QuestionSerializer, responses={200: InvoiceDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, invoice_id, user, data):
        return services.invoice_query(invoice_id=invoice_id, user=user, question=data["question"])


class InvoiceAnswer(InvoiceStep):
    input_serializer = AnswerSerializer
    write_roles = frozenset({Role.SALES_REP, Role.CUSTOMER_SERVICE})

    @extend_schema(request=AnswerSerializer, responses={200: InvoiceDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, invoice_id, user, data):
        return services.invoice_answer(
            invoice_id=invoice_id, user=user, answer=data["answer"], customer_po=data["customer_po"]
        )


class InvoiceCancel(InvoiceStep):
    input_serializer = ReasonSerializer

    @extend_schema(request=ReasonSerializer, responses={200: InvoiceDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, invoice_id, user, data):
        return services.invoice_cancel(invoice_id=invoice_id, user=user, reason=data["reason"])


class CreditNoteIssue(InvoiceStep):
    input_serializer = CreditNoteSerializer
    success_status = status.HTTP_201_CREATED

    @extend_schema(request=CreditNoteSerializer, responses={201: InvoiceDetailSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, invoice_id, user, data):
        lines = {row["line"]: {k: v for k, v in row.items() if k != "line"} for row in data["lines"]}
        return services.credit_note_issue(invoice_id=invoice_id, user=user, reason=data["reason"], lines=lines)


class PaymentListCreate(BillingView, generics.ListCreateAPIView):
    serializer_class = PaymentSerializer
    filterset_fields = ["customer", "currency"]

    def get_queryset(self):
        return Payment.objects.select_related("customer").order_by("-received_on", "-id")

    def create(self, request, *args, **kwargs):
        serializer = PaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_record(
            customer=data["customer"],
            amount=data["amount"],
            currency=data["currency"],
            received_on=data["received_on"],
            reference=data.get("reference", ""),
            user=request.user,
            invoice_ids=data.get("invoices"),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class Receivables(BillingView, APIView):
    read_roles = frozenset({Role.FINANCE, Role.EXECUTIVE})

    @extend_schema(responses={200: dict})
    def get(self, request):
        accuracy = selectors.billing_accuracy()
        figures = {
            "dso_days": selectors.dso(),
            "billing_accuracy_percent": accuracy["rate"],
            "billing_accuracy_trend": accuracy["trend"],
            "aging": list(selectors.ar_aging()[:500]),
        }
        return Response(_decimals_as_strings(figures))


def _decimals_as_strings(value):
    """Money and rates go out as strings, like every DecimalField of the API (no float rounding)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _decimals_as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decimals_as_strings(item) for item in value]
    return value
