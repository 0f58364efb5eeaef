"""Reads for finance: the review queue, invoices, AR aging, DSO and billing accuracy."""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, TruncDate, TruncMonth
from django.utils import timezone

from orders.models import Order
from orders.roles import Role, user_roles

from .models import Invoice
from .services import invoice_checks

ZERO = Decimal("0")
S = Invoice.Status
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
BILLING_READERS = {Role.FINANCE, Role.EXECUTIVE, Role.SALES_REP, Role.CUSTOMER_SERVICE}


def review_queue() -> QuerySet:
    """Drafts waiting for finance and drafts returned to sales, oldest first."""
    return (
        Invoice.objects.filter(status__in=[S.DRAFT, S.QUERIED], kind=Invoice.Kind.INVOICE)
        .select_related("customer", "order")
        .order_by("status", "created_at", "id")
    )


def invoice_list(
    *,
    status: str | None = None,
    kind: str | None = None,
    customer_id: int | None = None,
    search: str | None = None,
    overdue: bool = False,
) -> QuerySet:
    qs = Invoice.objects.select_related("customer", "order")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(order__number__icontains=search)
            | Q(customer_po__icontains=search)
        )
    if overdue:
        qs = qs.filter(status=S.POSTED, paid_at__isnull=True, due_date__lt=timezone.localdate())
    return qs.order_by("-created_at", "-id")


def invoice_detail(*, invoice_id: int) -> Invoice:
    return (
        Invoice.objects.select_related("customer", "order", "corrects", "posted_by")
        .prefetch_related("lines", "edits__user", "credit_notes", "allocations__payment")
        .get(pk=invoice_id)
    )


def invoice_document_context(invoice: Invoice, *, third_party_copy: bool = False) -> dict:
    """What the invoice document shows. A copy for a third party hides prices when the customer asks."""
    hide_prices = third_party_copy and invoice.customer.hide_prices_on_documents
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "show_prices": not hide_prices,
        "third_party_copy": third_party_copy,
    }


def invoice_review(invoice: Invoice) -> dict:
    checks = invoice_checks(invoice)
    return {"checks": checks, "all_ok": all(check.ok for check in checks)}


def _open_posted() -> QuerySet:
    return Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=S.POSTED, paid_at__isnull=True)


def ar_aging(*, today: date | None = None) -> QuerySet:
    """Open balances per customer and currency in buckets of days past due, summed in the database."""
    today = today or timezone.localdate()
    balance = F("total") - F("amount_paid") - F("amount_credited")

    def bucket(condition):
        return Sum(Case(When(condition, then=balance), default=Value(ZERO), output_field=MONEY_FIELD))

    return (
        _open_posted()
        .values("customer_id", "customer__name", "currency")
        .annotate(
            current=bucket(Q(due_date__gte=today)),
            days_1_30=bucket(Q(due_date__lt=today, due_date__gte=today - timedelta(days=30))),
            days_31_60=bucket(Q(due_date__lt=today - timedelta(days=30), due_date__gte=today - timedelta(days=60))),
            days_61_90=bucket(Q(due_date__lt=today - timedelta(days=60), due_date__gte=today - timedelta(days=90))),
            over_90=bucket(Q(due_date__lt=today - timedelta(days=90))),
            total=Sum(balance, output_field=MONEY_FIELD),
        )
        .order_by("-total", "customer__name")
    )


def refunds_due() -> QuerySet:
    """Paid invoices corrected afterwards by credit notes: the customer is owed money back."""
    return (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=S.POSTED)
        .filter(amount_paid__gt=0, total__lt=F("amount_paid") + F("amount_credited"))
        .select_related("customer")
        .order_by("posted_at", "id")
    )


def dso(*, days: int = 90, today: date | None = None) -> Decimal | None:
    """Days sales outstanding = open receivables / invoiced sales of the last `days` days × days
    (all currencies added at face value: a single-currency figure per company is the usual use)."""
    today = today or timezone.localdate()
    receivables = (
        _open_posted().aggregate(v=Sum(F("total") - F("amount_paid") - F("amount_credited"), output_field=MONEY_FIELD))[
            "v"
        ]
        or ZERO
    )
    sales = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=S.POSTED, issue_date__gt=today - timedelta(days=days)
    ).aggregate(v=Sum("total", default=ZERO))["v"]
    if not sales:
        return None
    return (receivables / sales * days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def billing_accuracy(*, months: int = 12, today: date | None = None) -> dict:
    """Share of posted invoices never corrected by a credit note nor disputed by a claim,
    overall and per month of issue (the trend)."""
    today = today or timezone.localdate()
    since = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=S.POSTED, issue_date__gte=since)
    corrected = Q(credit_notes__status=S.POSTED) | Q(disputed_at__isnull=False)
    rows = (
        invoices.annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(total=Count("id", distinct=True), corrected=Count("id", filter=corrected, distinct=True))
        .order_by("month")
    )
    trend = [
        {
            "month": row["month"],
            "total": row["total"],
            "accurate": row["total"] - row["corrected"],
            "rate": _rate(row["total"] - row["corrected"], row["total"]),
        }
        for row in rows
    ]
    total = sum(row["total"] for row in trend)
    accurate = sum(row["accurate"] for row in trend)
    return {"rate": _rate(accurate, total), "total": total, "accurate": accurate, "trend": trend}


def _rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def order_billing_panel(order: Order, user) -> dict | None:
    if not user_roles(user) & BILLING_READERS:
        return None
    invoices = list(
        Invoice.objects.filter(lines__order_line__order=order)
        .distinct()
        .exclude(status=S.CANCELLED)
        .order_by("created_at", "id")
    )
    if not invoices:
        return None
    return {"invoices": invoices}


def customer_billing_panel(customer, user) -> dict | None:
    """Open and overdue invoices of a customer, for the customer page (credit status)."""
    if not user_roles(user) & BILLING_READERS:
        return None
    open_invoices = list(_open_posted().filter(customer=customer).order_by("due_date", "id")[:20])
    today = timezone.localdate()
    totals = (
        _open_posted()
        .filter(customer=customer)
        .aggregate(
            open=Sum(F("total") - F("amount_paid") - F("amount_credited"), output_field=MONEY_FIELD),
            overdue=Sum(
                F("total") - F("amount_paid") - F("amount_credited"),
                filter=Q(due_date__lt=today),
                output_field=MONEY_FIELD,
            ),
        )
    )
    return {
        "invoices": open_invoices,
        "open": totals["open"] or ZERO,
        "overdue": totals["overdue"] or ZERO,
        "today": today,
        "currency": customer.currency,
    }


def customer_exposure(customer) -> dict:
    """For order entry's credit check: what the customer owes on posted invoices, and how much of it is overdue."""
    balance = F("total") - F("amount_paid") - F("amount_credited")
    figures = (
        _open_posted()
        .filter(customer=customer)
        .aggregate(
            unpaid=Sum(balance, output_field=MONEY_FIELD),
            overdue=Sum(balance, filter=Q(due_date__lt=timezone.localdate()), output_field=MONEY_FIELD),
        )
    )
    return {"unpaid": figures["unpaid"] or ZERO, "overdue": figures["overdue"] or ZERO}


def invoice_corrected_q() -> Q:
    """An invoice corrected by a posted credit note or disputed by a claim (billing accuracy)."""
    credit_notes = Invoice.objects.filter(corrects=OuterRef("pk"), status=Invoice.Status.POSTED)
    return Q(Exists(credit_notes)) | Q(disputed_at__isnull=False)


def _receivable() -> ExpressionWrapper:
    """What a posted invoice leaves to collect once its credit notes are taken off."""
    return ExpressionWrapper(F("total") - F("amount_credited"), output_field=MONEY_FIELD)


def invoices_per_day(since: date | None) -> QuerySet:
    """Posted invoices per issue day, site of their order and tier of their customer: how many,
    how many corrected, Σ total and Σ (total − credited). For the dashboard's daily rollups
    (orders.facts.register_days): billing accuracy, and DSO's sales and receivables raised."""
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.POSTED)
    if since is not None:
        invoices = invoices.filter(issue_date__gte=since)
    return (
        invoices.annotate(day=F("issue_date"), order_site=F("order__site_id"), tier=F("customer__tier"))
        .values("day", "order_site", "tier")
        .annotate(
            invoices=Count("id"),
            invoices_corrected=Count("id", filter=invoice_corrected_q()),
            invoiced=Sum("total"),
            receivable_issued=Sum(_receivable()),
        )
        .values("day", "order_site", "tier", "invoices", "invoices_corrected", "invoiced", "receivable_issued")
    )


def invoice_paid_day() -> Greatest:
    """The day a paid invoice stops being a receivable: the day of payment (project time zone),
    or its issue day if it was paid before it was issued (it never was one)."""
    return Greatest(F("issue_date"), TruncDate("paid_at"))


def invoices_paid_per_day(since: date | None) -> QuerySet:
    """Posted invoices per day they were paid (invoice_paid_day), site of their order and tier of
    their customer: Σ (total − credited), the receivables collected. For DSO's daily rollups
    (orders.facts.register_days); days from `since` on, or all."""
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.POSTED, paid_at__isnull=False)
    if since is not None:
        since_at = timezone.make_aware(datetime.combine(since, time.min))
        invoices = invoices.filter(Q(paid_at__gte=since_at) | Q(issue_date__gte=since))
    return (
        invoices.annotate(day=invoice_paid_day(), order_site=F("order__site_id"), tier=F("customer__tier"))
        .values("day", "order_site", "tier")
        .annotate(receivable_paid=Sum(_receivable()))
        .values("day", "order_site", "tier", "receivable_paid")
    )
