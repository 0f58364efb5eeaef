"""Customer portal pages: thin views over the portal's selectors and services. Every page runs
for a customer contact only (403 for anyone else) and reads only their customer's rows; another
customer's order or invoice is a 404, never a 403."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import Invoice
from billing.selectors import invoice_document_context
from orders.documents import pdf_from_template
from orders.errors import DomainError
from orders.models import Order
from orders.page_steps import domain_error_text, form_errors_text

from . import journey, selectors, services
from .access import contact_required
from .forms import OrderSearchForm, PreferencesForm, ReturnRequestForm, ServiceRequestForm
from .models import NotificationKind

PAGE_SIZE = 20


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _order_or_404(request, order_id: int) -> Order:
    try:
        return selectors.order_for_customer(customer_id=request.contact.customer_id, order_id=order_id)
    except Order.DoesNotExist:
        raise Http404(_("No such order.")) from None


@require_GET
@contact_required
def home(request):
    summary = selectors.home_summary(customer_id=request.contact.customer_id)
    selectors.with_tracking(summary["open_orders"])
    return render(request, "portal/home.html", {"summary": summary})


@require_GET
@contact_required
def order_list(request):
    form = OrderSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.order_list(
        customer_id=request.contact.customer_id, search=filters.get("q") or None, state=filters.get("state") or None
    )
    page = _page(request, orders)
    selectors.with_tracking(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "portal/_order_rows.html" if request.htmx and request.htmx.target == "order-rows" else None
    return render(request, template or "portal/order_list.html", context)


@require_GET
@contact_required
def order_detail(request, order_id: int):
    order = _order_or_404(request, order_id)
    customer_id = request.contact.customer_id
    shipments = list(selectors.shipment_list(customer_id=customer_id, order_id=order.pk))
    carried = selectors.shipment_lines(shipments)
    for shipment in shipments:
        shipment.carried = carried.get(shipment.pk, [])
    context = {
        "order": order,
        "status_label": journey.status_label(order.status),
        "status_css": journey.status_css(order.status),
        "today": timezone.localdate(),
        "journey": selectors.order_journey(order),
        "lines": selectors.order_lines(order),
        "promise_changes": selectors.promise_changes(order),
        "shipments": shipments,
        "invoices": list(selectors.invoice_list(customer_id=customer_id, order_id=order.pk)),
        "can_reorder": selectors.order_can_reorder(order),
        "can_return": bool(selectors.order_returnable_lines(customer_id=customer_id, order=order)),
        "can_request_service": selectors.order_can_request_service(order),
    }
    return render(request, "portal/order_detail.html", context)


@require_POST
@contact_required
def order_reorder(request, order_id: int):
    _order_or_404(request, order_id)
    try:
        draft, dropped = services.reorder_request(contact=request.contact, order_id=order_id)
    except DomainError as error:
        messages.error(request, domain_error_text(error))
        return redirect("portal:order_detail", order_id)
    messages.success(
        request,
        _("We have your re-order %(number)s. Our sales team will confirm it shortly.") % {"number": draft.number},
    )
    if dropped:
        messages.warning(request, _("Not included, no longer sold: %(skus)s.") % {"skus": ", ".join(dropped)})
    return redirect("portal:order_detail", draft.pk)


@require_http_methods(["GET", "POST"])
@contact_required
def order_return(request, order_id: int):
    order = _order_or_404(request, order_id)
    returnable = selectors.order_returnable_lines(customer_id=request.contact.customer_id, order=order)
    form = ReturnRequestForm(request.POST or None, returnable=returnable)
    if request.method == "POST":
        if not returnable:
            messages.error(request, _("Nothing of this order can be returned."))
        elif not form.is_valid():
            messages.error(request, form_errors_text(form))
        else:
            try:
                rma = services.return_request(
                    contact=request.contact,
                    order_id=order.pk,
                    quantities=form.quantities(),
                    reason=form.cleaned_data["reason"],
                    resolution=form.cleaned_data["resolution"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                messages.success(
                    request,
                    _("Return %(number)s is requested. We will tell you once it is approved.") % {"number": rma.number},
                )
                return redirect("portal:requests")
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/order_return.html", {"order": order, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@contact_required
def order_service(request, order_id: int):
    order = _order_or_404(request, order_id)
    lines = selectors.order_lines(order)
    form = ServiceRequestForm(request.POST or None, lines=lines)
    if request.method == "POST":
        if not selectors.order_can_request_service(order):
            messages.error(request, _("A service visit can be asked for once goods have shipped."))
        elif not form.is_valid():
            messages.error(request, form_errors_text(form))
        else:
            try:
                ticket = services.service_request(
                    contact=request.contact,
                    order_id=order.pk,
                    kind=form.cleaned_data["kind"],
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    line_no=form.cleaned_data["line_no"],
                )
            except DomainError as error:
                messages.error(request, domain_error_text(error))
            else:
                messages.success(
                    request,
                    _("Service request %(number)s is open. Our service team will plan the visit.")
                    % {"number": ticket.number},
                )
                return redirect("portal:requests")
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/order_service.html", {"order": order, "form": form}, status=status)


@require_GET
@contact_required
def shipment_list(request):
    page = _page(request, selectors.shipment_list(customer_id=request.contact.customer_id))
    carried = selectors.shipment_lines(page.object_list)
    for shipment in page.object_list:
        shipment.carried = carried.get(shipment.pk, [])
    return render(request, "portal/shipment_list.html", {"page": page, "query": ""})


@require_GET
@contact_required
def invoice_list(request):
    customer_id = request.contact.customer_id
    open_only = request.GET.get("open") == "1"
    page = _page(request, selectors.invoice_list(customer_id=customer_id, open_only=open_only))
    return render(
        request,
        "portal/invoice_list.html",
        {
            "page": page,
            "query": "open=1" if open_only else "",
            "open_only": open_only,
            "due": selectors.payments_due(customer_id=customer_id),
        },
    )


@require_GET
@contact_required
def invoice_pdf(request, invoice_id: int):
    try:
        invoice = selectors.invoice_for_customer(customer_id=request.contact.customer_id, invoice_id=invoice_id)
    except Invoice.DoesNotExist:
        raise Http404(_("No such invoice.")) from None
    pdf = pdf_from_template("billing/invoice_document.html", invoice_document_context(invoice))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@require_GET
@contact_required
def requests(request):
    found = selectors.requests_list(customer_id=request.contact.customer_id)
    return render(
        request,
        "portal/requests.html",
        {
            "rmas": Paginator(found["rmas"], PAGE_SIZE).get_page(request.GET.get("rpage")),
            "tickets": Paginator(found["tickets"], PAGE_SIZE).get_page(request.GET.get("tpage")),
        },
    )


@require_http_methods(["GET", "POST"])
@contact_required
def preferences(request):
    contact = request.contact
    initial = {"language": contact.language, **{kind.value: contact.wants(kind.value) for kind in NotificationKind}}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.preferences_update(contact=contact, language=form.cleaned_data["language"], notify=form.notify())
            with translation.override(contact.language):
                messages.success(request, _("Your preferences are saved."))
            return redirect("portal:preferences")
        messages.error(request, form_errors_text(form))
        return render(request, "portal/preferences.html", {"form": form}, status=400)
    return render(request, "portal/preferences.html", {"form": form})
