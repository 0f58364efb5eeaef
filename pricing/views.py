"""Pricing pages: price an order, approvals, quotes (HTML and PDF), price lists."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.access import order_visible_or_404, role_required
from orders.documents import pdf_from_template
from orders.page_steps import run_step
from orders.pagination import CappedPaginator
from orders.roles import Role, user_has_role

from . import selectors, services
from .csv_io import price_list_csv_read
from .models import PriceApproval, PriceList, Quote


def _run(request, order_id, action, done):
    order_visible_or_404(request.user, order_id)  # another rep's customer's order: 404
    return run_step(
        request, run=lambda _data: action(), done=done, then=redirect("orders:order_detail", order_id=order_id)
    )


@require_POST
@role_required(selectors.PRICERS)
def order_price(request, order_id: int):
    return _run(
        request,
        order_id,
        lambda: services.order_price(order_id=order_id, user=request.user),
        _("Priced from the price lists; the agreed prices are now on the lines."),
    )


@require_POST
@role_required(selectors.PRICERS)
def order_line_discount(request, order_id: int):
    try:
        line_no = int(request.POST.get("line_no", ""))
        discount = Decimal(request.POST.get("discount_percent", ""))
    except (ValueError, InvalidOperation):
        messages.error(request, _("Give a line number and a discount between 0 and 100."))
        return redirect("orders:order_detail", order_id=order_id)
    return _run(
        request,
        order_id,
        lambda: services.order_line_discount_set(
            order_id=order_id, line_no=line_no, discount_percent=discount, user=request.user
        ),
        _("Line %(line_no)s discount set to %(discount)s%%.") % {"line_no": line_no, "discount": discount},
    )


@require_POST
@role_required(selectors.PRICERS)
def approval_request(request, order_id: int):
    return _run(
        request,
        order_id,
        lambda: services.approval_request(order_id=order_id, user=request.user),
        _("Approval requested from estimating."),
    )


@require_POST
@role_required(selectors.APPROVERS)
def approval_decide(request, approval_id: int):
    approval = PriceApproval.objects.filter(pk=approval_id).first()
    if approval is None:
        raise Http404("No such approval.")
    approve = request.POST.get("decision") == "approve"
    return _run(
        request,
        approval.order_id,
        lambda: services.approval_decide(
            approval_id=approval_id, user=request.user, approve=approve, note=request.POST.get("note", "")[:500]
        ),
        _("Prices approved.") if approve else _("Prices rejected."),
    )


@require_POST
@role_required(selectors.QUOTERS)
def quote_send(request, order_id: int):
    try:
        valid_days = int(request.POST.get("valid_days", "30"))
    except ValueError:
        valid_days = 0
    return _run(
        request,
        order_id,
        lambda: services.quote_send(order_id=order_id, user=request.user, valid_days=valid_days),
        _("Quote sent to the customer."),
    )


@require_POST
@role_required(selectors.QUOTERS | {Role.CUSTOMER_SERVICE})
def quote_convert(request, order_id: int):
    return _run(
        request,
        order_id,
        lambda: services.quote_convert(order_id=order_id, user=request.user),
        _("The quote is now an order, at the quoted prices."),
    )


def _quote_or_404(quote_id) -> Quote:
    quote = Quote.objects.select_related("order__customer").filter(pk=quote_id).first()
    if quote is None:
        raise Http404("No such quote.")
    return quote


@require_GET
@role_required(selectors.PRICING_READERS)
def quote_document(request, quote_id: int):
    return render(request, "pricing/quote_document.html", selectors.quote_document_context(_quote_or_404(quote_id)))


@require_GET
@role_required(selectors.PRICING_READERS)
def quote_pdf(request, quote_id: int):
    quote = _quote_or_404(quote_id)
    response = HttpResponse(
        pdf_from_template("pricing/quote_document.html", selectors.quote_document_context(quote)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


@require_GET
@role_required(selectors.APPROVERS)
def approval_queue(request):
    page = CappedPaginator(selectors.approvals_pending(), 25).get_page(request.GET.get("page"))
    return render(request, "pricing/approval_queue.html", {"page": page})


@require_GET
@role_required(selectors.PRICING_READERS)
def price_list_list(request):
    page = CappedPaginator(selectors.price_list_list(), 25).get_page(request.GET.get("page"))
    return render(request, "pricing/price_list_list.html", {"page": page})


@require_GET
@role_required(selectors.PRICING_READERS)
def price_list_detail(request, price_list_id: int):
    price_list = PriceList.objects.filter(pk=price_list_id).first()
    if price_list is None:
        raise Http404("No such price list.")
    items = price_list.items.select_related("product").order_by("product__sku", "min_quantity")
    page = CappedPaginator(items, 50).get_page(request.GET.get("page"))
    may_import = user_has_role(request.user, {Role.ESTIMATOR})
    return render(
        request, "pricing/price_list_detail.html", {"price_list": price_list, "page": page, "may_import": may_import}
    )


class PriceListImportForm(forms.Form):
    file = forms.FileField(label="CSV file (sku, min_quantity, unit_price)")


@require_http_methods(["GET", "POST"])
@role_required({Role.ESTIMATOR})
def price_list_import(request, price_list_id: int):
    """Upload prices: every row is checked first; with any error nothing is imported and the page
    lists every bad line."""
    price_list = PriceList.objects.filter(pk=price_list_id).first()
    if price_list is None:
        raise Http404("No such price list.")
    form = PriceListImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    context = {"price_list": price_list, "form": form, "result": None}
    if request.method == "POST" and form.is_valid():
        result = price_list_csv_read(form.cleaned_data["file"].read())
        context["result"] = result
        if not result.errors:
            changed = services.price_list_import(price_list_id=price_list.pk, rows=result.rows)
            messages.success(request, f"Imported {result.rows_read} rows: {changed} prices added or changed.")
            return redirect("pricing:price_list_detail", price_list_id=price_list.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pricing/price_list_import.html", context, status=status)
