"""Every write to invoices, credit notes and payments.

Rounding, once and documented (docs/billing.md): each line's net amount is rounded half up
to the invoice currency's minor unit — cents, or whole dong for VND — (orders.money.line_net_amount),
then its tax is rounded the same way (orders.money.money_round); an invoice's subtotal, tax and
total are plain sums of its rounded lines.

A draft claims its quantities on the order lines at once (OrderLine.quantity_invoiced), so
two drafts can never bill the same shipped goods; cancelling a draft gives them back.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from orders.errors import GuardFailed, ValidationFailed
from orders.models import Customer, Order, OrderEvent, OrderLine
from orders.money import line_net_amount, money_format, money_round
from orders.services import handoff_close_work, number_reserve, order_transition, outbox_enqueue
from orders.states import OrderStatus

from .errors import InvoiceStateError
from .models import CustomerTaxRate, Invoice, InvoiceEdit, InvoiceLine, Payment, PaymentAllocation, ProductTaxRate

ZERO = Decimal("0")
HUNDRED = Decimal("100")
S = Invoice.Status
EDITABLE = (S.DRAFT, S.QUERIED)
# Published when an invoice is posted, for whoever tells the customer (the portal's notifications).
TOPIC_INVOICE_POSTED = "billing.invoice_posted"


# --- amounts -------------------------------------------------------------------------------


def tax_rate_for(*, customer: Customer, product) -> Decimal:
    """The customer's own rate (export, exemption) if set, else the product's, else the standard rate."""
    customer_rate = CustomerTaxRate.objects.filter(customer=customer).values_list("rate_percent", flat=True).first()
    if customer_rate is not None:
        return customer_rate
    product_rate = ProductTaxRate.objects.filter(product=product).values_list("rate_percent", flat=True).first()
    if product_rate is not None:
        return product_rate
    return Decimal(str(settings.OMC_STANDARD_TAX_RATE_PERCENT))


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_rate_percent: Decimal,
    currency: str | None = None,
) -> tuple[Decimal, Decimal]:
    net = line_net_amount(
        quantity=quantity, unit_price=unit_price, discount_percent=discount_percent, currency=currency
    )
    tax = money_round(net * tax_rate_percent / HUNDRED, currency)
    return net, tax


def _set_line_amounts(line: InvoiceLine) -> None:
    line.net_amount, line.tax_amount = line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate_percent=line.tax_rate_percent,
        currency=line.invoice.currency,
    )


def _recompute_totals(invoice: Invoice) -> None:
    sums = invoice.lines.aggregate(net=Sum("net_amount", default=ZERO), tax=Sum("tax_amount", default=ZERO))
    invoice.subtotal, invoice.tax_total = sums["net"], sums["tax"]
    invoice.total = invoice.subtotal + invoice.tax_total
    invoice.save(update_fields=["subtotal", "tax_total", "total"])


# --- drafting ------------------------------------------------------------------------------


@dataclass
class Billable:
    order_line: OrderLine
    quantity: Decimal
    delivery_note: str


def _draft(
    *,
    customer: Customer,
    order: Order | None,
    billables: list[Billable],
    source_key: str,
    period: tuple[date, date] | None = None,
) -> Invoice | None:
    """Create a draft for the given order lines (already locked) and claim their quantities."""
    billables = [b for b in billables if b.quantity > 0]
    if not billables:
        return None
    first_order = order or billables[0].order_line.order
    invoice = Invoice.objects.create(
        customer=customer,
        order=order,
        currency=first_order.currency,
        customer_po=order.customer_po if order else "",
        language=customer.document_language,
        send_to=customer.billing_email,
        source_key=source_key,
        created_at=timezone.now(),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
    )
    lines = []
    for billable in billables:
        order_line = billable.order_line
        line = InvoiceLine(
            invoice=invoice,
            order_line=order_line,
            delivery_note=billable.delivery_note,
            description=f"{order_line.product.sku} {order_line.product.name}"
            + ("" if order else f" (order {order_line.order.number})"),
            quantity=billable.quantity,
            unit_price=order_line.unit_price or ZERO,
            discount_percent=order_line.discount_percent,
            tax_rate_percent=tax_rate_for(customer=customer, product=order_line.product),
        )
        _set_line_amounts(line)
        lines.append(line)
        order_line.quantity_invoiced += billable.quantity
        order_line.save(update_fields=["quantity_invoiced"])
    InvoiceLine.objects.bulk_create(lines)
    _recompute_totals(invoice)
    return invoice


def invoice_draft_from_shipment(*, event_id: int) -> Invoice | None:
    """Draft the invoice for one shipment (the `order.ship` hand-off): a line per shipped order
    line, quantity = what this shipment carried and is not yet invoiced, at the agreed price
    and discount. Customers billed monthly get nothing here (the consolidation run bills
    them). Running it twice returns the same invoice."""
    with transaction.atomic():
        event = OrderEvent.objects.select_related("order__customer").get(pk=event_id)
        order, customer = event.order, event.order.customer
        source_key = f"shipment-event:{event.pk}"
        existing = Invoice.objects.filter(source_key=source_key).first()
        if existing or customer.invoice_grouping == Customer.InvoiceGrouping.MONTHLY:
            return existing
        shipped = {int(line_id): Decimal(qty) for line_id, qty in event.data.get("lines", {}).items()}
        order_lines = order.lines.select_for_update().select_related("product").order_by("line_no")
        billables = []
        for order_line in order_lines:
            open_quantity = order_line.quantity_shipped - order_line.quantity_invoiced
            # this shipment's quantities; an event without them (older data) bills all that is open
            quantity = min(shipped.get(order_line.pk, ZERO), open_quantity) if shipped else open_quantity
            billables.append(Billable(order_line, quantity, event.data.get("shipment", "")))
        return _draft(customer=customer, order=order, billables=billables, source_key=source_key)


def invoices_build_consolidated(*, period_start: date, period_end: date) -> list[Invoice]:
    """One draft per monthly-billed customer for everything shipped up to `period_end` and not yet
    invoiced, with the delivery notes of the period on each line. Re-running for the same period
    finds the invoices it made."""
    made = []
    customers = Customer.objects.filter(
        invoice_grouping=Customer.InvoiceGrouping.MONTHLY, orders__lines__quantity_shipped__gt=0
    ).distinct()
    for customer in customers:
        with transaction.atomic():
            source_key = f"consolidated:{customer.pk}:{period_start.isoformat()}"
            if Invoice.objects.filter(source_key=source_key).exists():
                continue
            notes = _delivery_notes(customer=customer, until=period_end)
            shipped_by_then = OrderEvent.objects.filter(
                order_id=OuterRef("order_id"), action="ship", created_at__date__lte=period_end
            )
            order_lines = (
                OrderLine.objects.select_for_update(of=("self",))
                .filter(Exists(shipped_by_then), order__customer=customer, quantity_shipped__gt=F("quantity_invoiced"))
                .select_related("product", "order")
                .order_by("order_id", "line_no")
            )
            billables = [
                Billable(line, line.quantity_shipped - line.quantity_invoiced, notes.get(line.pk, ""))
                for line in order_lines
            ]
            invoice = _draft(
                customer=customer,
                order=None,
                billables=billables,
                source_key=source_key,
                period=(period_start, period_end),
            )
            if invoice:
                made.append(invoice)
    return made


def _delivery_notes(*, customer: Customer, until: date) -> dict[int, str]:
    notes: dict[int, list[str]] = {}
    events = OrderEvent.objects.filter(order__customer=customer, action="ship", created_at__date__lte=until)
    for data in events.values_list("data", flat=True):
        for line_id in data.get("lines", {}):
            notes.setdefault(int(line_id), []).append(data.get("shipment", ""))
    return {line_id: ", ".join(filter(None, shipments))[:200] for line_id, shipments in notes.items()}


# --- review --------------------------------------------------------------------------------


@dataclass
class Check:
    label: str
    ok: bool
    detail: str = ""


def invoice_checks(invoice: Invoice) -> list[Check]:
    """What finance verifies before posting: never billed beyond what shipped, at the agreed
    price and discount, with the PO number when the customer requires one."""
    lines = list(invoice.lines.select_related("order_line"))
    over = [
        line.description
        for line in lines
        if line.order_line and line.order_line.quantity_invoiced > line.order_line.quantity_shipped
    ]
    off_price = [
        line.description
        for line in lines
        if line.order_line
        and (line.unit_price != line.order_line.unit_price or line.discount_percent != line.order_line.discount_percent)
    ]
    po_missing = invoice.customer.po_required and not invoice.customer_po.strip()
    return [
        Check(_("Invoiced quantity ≤ shipped"), not over, "; ".join(over)),
        Check(_("Price and discount as agreed"), not off_price, "; ".join(off_price)),
        Check(_("PO number present"), not po_missing, _("The customer requires a PO number.") if po_missing else ""),
        Check(_("Has lines"), bool(lines)),
    ]


def _locked_invoice(invoice_id: int, *allowed) -> Invoice:
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice_id)
    if invoice.status not in allowed:
        raise InvoiceStateError(
            _("%(invoice)s is %(lower)s: that is not possible now.")
            % {"invoice": invoice, "lower": invoice.get_status_display().lower()}
        )
    return invoice


def invoice_edit(
    *, invoice_id: int, user, reason: str, customer_po: str | None = None, quantities: dict[int, Decimal] | None = None
) -> Invoice:
    """Change a draft's PO number or reduce its quantities, with a reason kept in its history.
    Prices are not edited here: the agreed price comes from the order (a check enforces it)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why the draft changes.")]})
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, *EDITABLE)
        changes = {}
        if customer_po is not None and customer_po != invoice.customer_po:
            changes["customer_po"] = [invoice.customer_po, customer_po]
            invoice.customer_po = customer_po
            invoice.save(update_fields=["customer_po"])
        lines = {line.pk: line for line in invoice.lines.select_for_update(of=("self",)).select_related("order_line")}
        for line_id, quantity in (quantities or {}).items():
            line = lines.get(line_id)
            if line is None:
                raise ValidationFailed(
                    _("Unknown line."), field_errors={"quantities": [_("No line %(line_id)s.") % {"line_id": line_id}]}
                )
            if not ZERO < quantity <= line.quantity:
                raise ValidationFailed(
                    _("Quantities can only go down."),
                    field_errors={
                        "quantities": [
                            _("%(description)s: between 0 and %(quantity)s.")
                            % {"description": line.description, "quantity": line.quantity.normalize()}
                        ]
                    },
                )
            if quantity != line.quantity:
                changes[f"line {line.pk} quantity"] = [str(line.quantity), str(quantity)]
                order_line = OrderLine.objects.select_for_update().get(pk=line.order_line_id)
                order_line.quantity_invoiced -= line.quantity - quantity
                order_line.save(update_fields=["quantity_invoiced"])
                line.quantity = quantity
                _set_line_amounts(line)
                line.save(update_fields=["quantity", "net_amount", "tax_amount"])
        if not changes:
            raise ValidationFailed(_("Nothing changed."), field_errors={"reason": [_("Change something first.")]})
        _recompute_totals(invoice)
        InvoiceEdit.objects.create(
            invoice=invoice, user=user, reason=reason, changes=changes, created_at=timezone.now()
        )
    return invoice


def invoice_query(*, invoice_id: int, user, question: str) -> Invoice:
    """Finance hands a draft back to sales with a question (e.g. the missing PO number)."""
    if not (question or "").strip():
        raise ValidationFailed(_("Ask a question."), field_errors={"question": [_("Write what sales should answer.")]})
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, S.DRAFT)
        invoice.status, invoice.question, invoice.answer = S.QUERIED, question.strip(), ""
        invoice.save(update_fields=["status", "question", "answer"])
    return invoice


def invoice_answer(*, invoice_id: int, user, answer: str, customer_po: str | None = None) -> Invoice:
    """Sales answers finance's question (and may give the PO number); the draft returns to review."""
    if not (answer or "").strip():
        raise ValidationFailed(_("Give an answer."), field_errors={"answer": [_("Write your answer.")]})
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, S.QUERIED)
        invoice.status, invoice.answer = S.DRAFT, answer.strip()
        fields = ["status", "answer"]
        if customer_po:
            invoice.customer_po = customer_po.strip()
            fields.append("customer_po")
        invoice.save(update_fields=fields)
    return invoice


def invoice_cancel(*, invoice_id: int, user, reason: str) -> Invoice:
    """Withdraw a draft: its quantities can be invoiced again."""
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why.")]})
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, *EDITABLE)
        for line in invoice.lines.select_related("order_line"):
            order_line = OrderLine.objects.select_for_update().get(pk=line.order_line_id)
            order_line.quantity_invoiced -= line.quantity
            order_line.save(update_fields=["quantity_invoiced"])
        invoice.status, invoice.reason = S.CANCELLED, reason.strip()
        invoice.save(update_fields=["status", "reason"])
    return invoice


def invoice_post(*, invoice_id: int, user) -> Invoice:
    """Post a draft whose checks all pass: it gets the next number (gap-free: the counter row
    stays locked until this transaction commits), issue and due dates, becomes immutable, and
    is emailed after commit. An order whose shipped goods are now all on posted invoices moves
    to invoiced."""
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, S.DRAFT)
        failing = [check for check in invoice_checks(invoice) if not check.ok]
        if failing:
            raise GuardFailed(
                _("Fix the failing checks first."),
                field_errors={"checks": [f"{c.label}: {c.detail}".rstrip(": ") for c in failing]},
            )
        year = timezone.localdate().year
        invoice.number = f"INV-{year}-{number_reserve(name=f'invoice-{year}'):06d}"
        invoice.status, invoice.posted_at, invoice.posted_by = S.POSTED, timezone.now(), user
        invoice.issue_date = timezone.localdate()
        invoice.due_date = invoice.issue_date + timedelta(days=invoice.customer.payment_terms_days)
        invoice.save(update_fields=["number", "status", "posted_at", "posted_by", "issue_date", "due_date"])
        for order in _orders_of(invoice):
            _order_invoice_if_complete(order=order, user=user)
        _queue_send(invoice)
    return invoice


def _queue_send(invoice: Invoice) -> None:
    """Sending is outbox work (billing consumes its own topic), written in the posting
    transaction: a broker outage delays the email but never fails the posting or loses it."""
    outbox_enqueue(topic=TOPIC_INVOICE_POSTED, order=invoice.order, payload={"invoice_id": invoice.pk})


def _orders_of(invoice: Invoice) -> list[Order]:
    order_ids = invoice.lines.values_list("order_line__order_id", flat=True).distinct()
    return list(Order.objects.select_for_update().filter(pk__in=list(order_ids)).order_by("pk"))


def _posted_quantity(order_line_id: int) -> Decimal:
    return InvoiceLine.objects.filter(
        order_line_id=order_line_id, invoice__status=S.POSTED, invoice__kind=Invoice.Kind.INVOICE
    ).aggregate(q=Sum("quantity", default=ZERO))["q"]


def _order_invoice_if_complete(*, order: Order, user) -> None:
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return
    if all(_posted_quantity(line.pk) >= line.quantity_shipped for line in order.lines.all()):
        order_transition(order_id=order.pk, action="invoice", actor=user, note="Every shipped quantity is invoiced.")


def invoice_send(*, invoice_id: int) -> bool:
    """Email a posted invoice's PDF to where the customer wants it. Sends once."""
    from orders.documents import pdf_from_template

    from .selectors import invoice_document_context

    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, S.POSTED)
        if invoice.sent_at or not invoice.send_to:
            return False
        pdf = pdf_from_template("billing/invoice_document.html", invoice_document_context(invoice))
        # The email speaks the invoice's language (the customer's, copied when drafted), like its PDF.
        with translation.override(invoice.language or None):
            kind, number = invoice.get_kind_display(), invoice.number
            message = EmailMessage(
                subject=_("%(kind)s %(number)s") % {"kind": kind, "number": number},
                body=_("Please find attached %(kind)s %(number)s.") % {"kind": kind.lower(), "number": number},
                to=[invoice.send_to],
            )
        message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
        message.send()
        invoice.sent_at = timezone.now()
        invoice.save(update_fields=["sent_at"])
    return True


# --- corrections ---------------------------------------------------------------------------


def credit_note_issue(*, invoice_id: int, user, reason: str, lines: dict[int, dict]) -> Invoice:
    """Correct a posted invoice with a credit note (posted at once, numbered in its own series).
    `lines` maps invoice line ids to {"quantity": q, optional "unit_price": p}: credit q units at
    p (default: the invoiced price), e.g. goods returned, or a price difference per unit."""
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), field_errors={"reason": [_("Say why.")]})
    if not lines:
        raise ValidationFailed(_("Nothing to credit."), field_errors={"lines": [_("Choose at least one line.")]})
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, S.POSTED)
        if invoice.kind != Invoice.Kind.INVOICE:
            raise InvoiceStateError(_("Credit notes are corrected by new invoices, not by credit notes."))
        original = {line.pk: line for line in invoice.lines.all()}
        credit = Invoice.objects.create(
            kind=Invoice.Kind.CREDIT_NOTE,
            customer=invoice.customer,
            order=invoice.order,
            corrects=invoice,
            currency=invoice.currency,
            customer_po=invoice.customer_po,
            language=invoice.language,
            send_to=invoice.send_to,
            reason=reason.strip(),
            created_at=timezone.now(),
        )
        credit_lines = []
        for line_id, spec in lines.items():
            line = original.get(line_id)
            quantity, unit_price = spec["quantity"], spec.get("unit_price", line.unit_price if line else ZERO)
            if line is None or not ZERO < quantity <= line.quantity or not ZERO < unit_price <= line.unit_price:
                raise ValidationFailed(
                    _("Credit at most what was invoiced."),
                    field_errors={
                        "lines": [
                            _("Line %(line_id)s: quantity up to the invoiced one, price up to the invoiced one.")
                            % {"line_id": line_id}
                        ]
                    },
                )
            credit_line = InvoiceLine(
                invoice=credit,
                order_line=line.order_line,
                description=line.description,
                delivery_note=line.delivery_note,
                quantity=quantity,
                unit_price=unit_price,
                discount_percent=line.discount_percent,
                tax_rate_percent=line.tax_rate_percent,
            )
            _set_line_amounts(credit_line)
            credit_lines.append(credit_line)
        InvoiceLine.objects.bulk_create(credit_lines)
        _recompute_totals(credit)
        if credit.total > invoice.total - invoice.amount_credited:
            raise ValidationFailed(
                _("Credit notes would exceed the invoice."),
                field_errors={"lines": [_("Together the credit notes exceed the invoice total.")]},
            )
        year = timezone.localdate().year
        credit.number = f"CN-{year}-{number_reserve(name=f'credit-note-{year}'):06d}"
        credit.status, credit.posted_at, credit.posted_by = S.POSTED, timezone.now(), user
        credit.issue_date = credit.due_date = timezone.localdate()
        credit.save(update_fields=["number", "status", "posted_at", "posted_by", "issue_date", "due_date"])
        invoice.amount_credited += credit.total
        invoice.save(update_fields=["amount_credited"])
        _settle_if_paid(invoice=invoice, user=user)
        _queue_send(credit)
    return credit


def invoice_mark_disputed(*, invoice_id: int) -> None:
    """A claim was opened against the invoice (it no longer counts as billed right first time)."""
    Invoice.objects.filter(pk=invoice_id, disputed_at__isnull=True).update(disputed_at=timezone.now())


# --- payments ------------------------------------------------------------------------------


def payment_record(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str,
    received_on: date,
    user,
    reference: str = "",
    invoice_ids: list[int] | None = None,
) -> Payment:
    """Record money received and allocate it to the customer's open posted invoices in that
    currency — the ones named, else the oldest due first. What is left stays on the payment as
    unallocated credit. Invoices settled become paid; an order all of whose invoices are paid
    moves to paid."""
    if amount <= 0:
        raise ValidationFailed(_("Amount must be positive."), field_errors={"amount": [_("Must be greater than 0.")]})
    with transaction.atomic():
        open_invoices = (
            Invoice.objects.select_for_update()
            .filter(
                customer=customer, kind=Invoice.Kind.INVOICE, status=S.POSTED, paid_at__isnull=True, currency=currency
            )
            .order_by("due_date", "id")
        )
        if invoice_ids is not None:
            open_invoices = open_invoices.filter(pk__in=invoice_ids)
            if open_invoices.count() != len(set(invoice_ids)):
                raise ValidationFailed(
                    _("Unknown or settled invoice."),
                    field_errors={"invoices": [_("Only open posted invoices of this customer in this currency.")]},
                )
        payment = Payment.objects.create(
            customer=customer,
            amount=amount,
            currency=currency,
            received_on=received_on,
            reference=reference,
            unallocated=amount,
            created_by=user,
            created_at=timezone.now(),
        )
        for invoice in open_invoices:
            if payment.unallocated <= 0:
                break
            share = min(payment.unallocated, invoice.balance)
            if share <= 0:
                continue
            PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=share, created_at=timezone.now())
            invoice.amount_paid += share
            invoice.save(update_fields=["amount_paid"])
            payment.unallocated -= share
            _settle_if_paid(invoice=invoice, user=user)
        payment.save(update_fields=["unallocated"])
    return payment


def _settle_if_paid(*, invoice: Invoice, user) -> None:
    if invoice.paid_at is None and invoice.balance <= 0:
        invoice.paid_at = timezone.now()
        invoice.save(update_fields=["paid_at"])
        for order in _orders_of(invoice):
            _order_pay_if_settled(order=order, user=user)


def _order_pay_if_settled(*, order: Order, user) -> None:
    if order.status != OrderStatus.INVOICED:
        return
    unpaid = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=S.POSTED, paid_at__isnull=True, lines__order_line__order=order
    ).exists()
    if not unpaid:
        order_transition(order_id=order.pk, action="record_payment", actor=user, note="Every invoice is paid.")


def invoices_send_reminders(*, today: date | None = None) -> int:
    """Email a reminder for each posted invoice past due, at most once a week per invoice."""
    today = today or timezone.localdate()
    every = timedelta(days=settings.OMC_REMINDER_INTERVAL_DAYS)
    sent = 0
    with transaction.atomic():
        overdue = (
            Invoice.objects.select_for_update(skip_locked=True)
            .filter(kind=Invoice.Kind.INVOICE, status=S.POSTED, paid_at__isnull=True, due_date__lt=today)
            .exclude(send_to="")
            .exclude(reminded_at__date__gt=today - every)
            .order_by("due_date")[:500]
        )
        for invoice in overdue:
            with translation.override(invoice.language or None):
                EmailMessage(
                    subject=_("Reminder: invoice %(number)s is overdue") % {"number": invoice.number},
                    body=_(
                        "Invoice %(number)s of %(issue_date)s for %(balance)s was due on %(due_date)s. "
                        "Please pay at your earliest convenience."
                    )
                    % {
                        "number": invoice.number,
                        "issue_date": date_format(invoice.issue_date, "SHORT_DATE_FORMAT"),
                        "balance": money_format(invoice.balance, invoice.currency),
                        "due_date": date_format(invoice.due_date, "SHORT_DATE_FORMAT"),
                    },
                    to=[invoice.send_to],
                ).send()
            invoice.reminded_at = timezone.now()
            invoice.save(update_fields=["reminded_at"])
            sent += 1
    return sent


def credit_notes_for_order_lines(
    *, lines: dict[int, dict], reason: str, invoice_id: int | None = None, handoff_kind: str = ""
) -> list[Invoice]:
    """Credit order-line quantities (a return, an accepted claim) on the posted invoices that
    billed them — only `invoice_id` when given, else the oldest first — one credit note per
    invoice. `lines` maps order line ids to {"quantity": q, "unit_price": p or None (as invoiced)}.
    Then closes the open work hand-off `handoff_kind` of the orders concerned (finance did the
    work). Raises ValidationFailed when the quantities are not (or no longer) invoiced."""
    per_invoice: dict[int, dict[int, dict]] = {}
    for order_line_id, spec in sorted(lines.items()):
        quantity = Decimal(spec["quantity"])
        unit_price = Decimal(spec["unit_price"]) if spec.get("unit_price") is not None else None
        invoice_lines = InvoiceLine.objects.filter(
            order_line_id=order_line_id, invoice__kind=Invoice.Kind.INVOICE, invoice__status=S.POSTED
        ).order_by("invoice_id", "id")
        if invoice_id is not None:
            invoice_lines = invoice_lines.filter(invoice_id=invoice_id)
        for line in invoice_lines:
            if quantity <= 0:
                break
            credited = InvoiceLine.objects.filter(
                invoice__corrects_id=line.invoice_id,
                invoice__status=S.POSTED,
                order_line_id=order_line_id,
                unit_price=line.unit_price,
            ).aggregate(q=Sum("quantity", default=ZERO))["q"]
            free = line.quantity if unit_price is not None else line.quantity - credited
            take = min(quantity, free)
            if take > 0:
                entry = {"quantity": take}
                if unit_price is not None:
                    entry["unit_price"] = unit_price
                per_invoice.setdefault(line.invoice_id, {})[line.pk] = entry
                quantity -= take
        if quantity > 0:
            raise ValidationFailed(
                _("Not invoiced."),
                field_errors={
                    "lines": [
                        _("Order line %(order_line_id)s: %(quantity)s not on a posted invoice.")
                        % {"order_line_id": order_line_id, "quantity": quantity.normalize()}
                    ]
                },
            )
    with transaction.atomic():
        credits = [
            credit_note_issue(invoice_id=invoice, user=None, reason=reason, lines=spec)
            for invoice, spec in sorted(per_invoice.items())
        ]
        if handoff_kind:
            order_ids = OrderLine.objects.filter(pk__in=list(lines)).values_list("order_id", flat=True)
            for order in Order.objects.filter(pk__in=list(order_ids)).order_by("pk"):
                handoff_close_work(order=order, kind=handoff_kind)
    return credits
