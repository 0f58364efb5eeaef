"""Finance pages: the review queue, invoices (post, edit, query, credit), receivables, payments."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.access import role_required
from orders.documents import pdf_from_template
from orders.errors import DomainError
from orders.money import money_format
from orders.page_steps import form_errors_text, run_step
from orders.pagination import CappedPaginator
from orders.reporting import reporting_view
from orders.roles import Role, user_has_role
from orders.selectors import order_scope

from . import selectors, services
from .forms import AnswerForm, CreditNoteForm, InvoiceEditForm, PaymentForm, QuestionForm, ReasonForm
from .models import Invoice, Payment

PAGE_SIZE = 25
FINANCE = {Role.FINANCE}
ANSWERERS = {Role.SALES_REP, Role.CUSTOMER_SERVICE}
READERS = selectors.BILLING_READERS


def _page(request, queryset):
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@require_GET
@role_required(FINANCE | {Role.EXECUTIVE})
def review_queue(request):
    page, query = _page(request, selectors.review_queue())
    for invoice in page.object_list:
        invoice.review = selectors.invoice_review(invoice)
    return render(request, "billing/review_queue.html", {"page": page, "query": query})


@require_GET
@role_required(READERS)
def invoice_list(request):
    status = request.GET.get("status") if request.GET.get("status") in Invoice.Status.values else None
    kind = request.GET.get("kind") if request.GET.get("kind") in Invoice.Kind.values else None
    invoices = selectors.invoice_list(
        status=status,
        kind=kind,
        search=(request.GET.get("q") or "").strip() or None,
        overdue=request.GET.get("overdue") == "yes",
    )
    page, query = _page(request, invoices)
    return render(
        request,
        "billing/invoice_list.html",
        {
            "page": page,
            "query": query,
            "statuses": Invoice.Status.choices,
            "kinds": Invoice.Kind.choices,
            "status": status,
            "kind": kind,
        },
    )


def _invoice_or_404(invoice_id) -> Invoice:
    try:
        return selectors.invoice_detail(invoice_id=invoice_id)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None


@require_GET
@role_required(READERS)
def invoice_detail(request, invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    lines = list(invoice.lines.all())
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": lines,
            **selectors.invoice_review(invoice),
            "is_finance": user_has_role(request.user, FINANCE),
            "may_answer": user_has_role(request.user, ANSWERERS),
            "edit_form": InvoiceEditForm(lines=lines, initial={"customer_po": invoice.customer_po}),
            "question_form": QuestionForm(),
            "answer_form": AnswerForm(initial={"customer_po": invoice.customer_po}),
            "cancel_form": ReasonForm(),
            "credit_form": CreditNoteForm(lines=lines),
        },
    )


def _step(request, invoice_id, form, run, done):
    return run_step(
        request, form=form, run=run, done=done, then=redirect("billing:invoice_detail", invoice_id=invoice_id)
    )


@require_POST
@role_required(FINANCE)
def invoice_post(request, invoice_id: int):
    return _step(
        request,
        invoice_id,
        None,
        lambda data: services.invoice_post(invoice_id=invoice_id, user=request.user),
        _("Invoice posted and sent to the customer."),
    )


@require_POST
@role_required(FINANCE)
def invoice_edit(request, invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    form = InvoiceEditForm(request.POST, lines=invoice.lines.all())
    return _step(
        request,
        invoice_id,
        form,
        lambda data: services.invoice_edit(
            invoice_id=invoice_id,
            user=request.user,
            reason=data["reason"],
            customer_po=data["customer_po"],
            quantities=form.quantities(),
        ),
        _("Draft changed; the change and its reason are in its history."),
    )


@require_POST
@role_required(FINANCE)
def invoice_query(request, invoice_id: int):
    return _step(
        request,
        invoice_id,
        QuestionForm(request.POST),
        lambda data: services.invoice_query(invoice_id=invoice_id, user=request.user, question=data["question"]),
        _("Returned to sales with your question."),
    )


@require_POST
@role_required(ANSWERERS)
def invoice_answer(request, invoice_id: int):
    if not Invoice.objects.filter(order_scope(request.user), pk=invoice_id).exists():
        raise Http404("No such invoice.")  # another rep's customer's: as if it did not exist
    return _step(
        request,
        invoice_id,
        AnswerForm(request.POST),
        lambda data: services.invoice_answer(
            invoice_id=invoice_id, user=request.user, answer=data["answer"], customer_po=data["customer_po"]
        ),
        _("Answered; the draft is back with finance."),
    )


@require_POST
@role_required(FINANCE)
def invoice_cancel(request, invoice_id: int):
    return _step(
        request,
        invoice_id,
        ReasonForm(request.POST),
        lambda data: services.invoice_cancel(invoice_id=invoice_id, user=request.user, reason=data["reason"]),
        _("Draft cancelled; its quantities can be invoiced again."),
    )


@require_POST
@role_required(FINANCE)
def credit_note_issue(request, invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    form = CreditNoteForm(request.POST, lines=invoice.lines.all())
    return _step(
        request,
        invoice_id,
        form,
        lambda data: services.credit_note_issue(
            invoice_id=invoice_id, user=request.user, reason=data["reason"], lines=form.credit_lines()
        ),
        _("Credit note issued."),
    )


@require_GET
@role_required(READERS)
def invoice_pdf(request, invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    third_party = request.GET.get("copy") == "third-party"
    pdf = pdf_from_template(
        "billing/invoice_document.html", selectors.invoice_document_context(invoice, third_party_copy=third_party)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = invoice.number or f"draft-{invoice.pk}"
    response["Content-Disposition"] = f'inline; filename="{name}{"-copy" if third_party else ""}.pdf"'
    return response


@require_GET
@role_required(READERS)
def invoice_document(request, invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    return render(
        request,
        "billing/invoice_document.html",
        selectors.invoice_document_context(invoice, third_party_copy=request.GET.get("copy") == "third-party"),
    )


@require_GET
@role_required(FINANCE | {Role.EXECUTIVE})
@reporting_view  # AR aging: a reporting read (the replica, when there is one)
def receivables(request):
    page, query = _page(request, selectors.ar_aging())
    return render(
        request,
        "billing/receivables.html",
        {
            "page": page,
            "query": query,
            "dso": selectors.dso(),
            "accuracy": selectors.billing_accuracy(),
            "payment_form": PaymentForm(initial={"received_on": timezone.localdate(), "currency": "EUR"}),
            "payments": Payment.objects.select_related("customer").order_by("-received_on", "-id")[:10],
            "refunds": selectors.refunds_due()[:50],
            "is_finance": user_has_role(request.user, FINANCE),
        },
    )


@require_POST
@role_required(FINANCE)
def payment_record(request):
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("billing:receivables")
    data = form.cleaned_data
    try:
        payment = services.payment_record(
            customer=data["customer_obj"],
            amount=data["amount"],
            currency=data["currency"],
            received_on=data["received_on"],
            reference=data["reference"],
            user=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        amount = money_format(payment.amount, payment.currency)
        if payment.unallocated:
            text = _("Payment of %(amount)s recorded; %(unallocated)s left unallocated.") % {
                "amount": amount,
                "unallocated": money_format(payment.unallocated, payment.currency, with_code=False),
            }
        else:
            text = _("Payment of %(amount)s recorded.") % {"amount": amount}
        messages.success(request, text)
    return redirect("billing:receivables")
