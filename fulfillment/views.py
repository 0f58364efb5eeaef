"""Warehouse pages: stock, pick lists, shipments (pick, pack, ship, deliver), packing slips."""

from itertools import groupby

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.access import role_required
from orders.documents import pdf_from_template
from orders.errors import DomainError
from orders.models import Site
from orders.money import line_net_amount
from orders.page_steps import form_errors_text, run_step
from orders.pagination import CappedPaginator
from orders.roles import Role, user_has_role

from . import selectors, services
from .forms import (
    ShipmentDeliverForm,
    ShipmentPackForm,
    ShipmentShipForm,
    ShipmentStartForm,
    StockAdjustForm,
    StockReceiveForm,
)
from .models import Shipment

PAGE_SIZE = 25
WAREHOUSE = {Role.WAREHOUSE}
READERS = {Role.WAREHOUSE, Role.EXECUTIVE, Role.CUSTOMER_SERVICE, Role.SCHEDULER, Role.SALES_REP}


@require_GET
@role_required(READERS)
def stock_list(request):
    site_id = request.GET.get("site") or None
    stocks = selectors.stock_list(
        site_id=int(site_id) if site_id and site_id.isdigit() else None,
        search=(request.GET.get("q") or "").strip() or None,
    )
    page = CappedPaginator(stocks, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fulfillment/stock_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "sites": Site.objects.order_by("code"),
            "receive_form": StockReceiveForm(),
            "adjust_form": StockAdjustForm(),
            "can_edit": user_has_role(request.user, WAREHOUSE),
        },
    )


@require_POST
@role_required(WAREHOUSE)
def stock_receive(request):
    form = StockReceiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("fulfillment:stock_list")
    data = form.cleaned_data
    try:
        services.stock_receive(
            product=data["product"], site=data["site"], quantity=data["quantity"], user=request.user, note=data["note"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Received %(quantity)s × %(sku)s at %(name)s.")
            % {"quantity": data["quantity"].normalize(), "sku": data["product"].sku, "name": data["site"].name},
        )
    return redirect("fulfillment:stock_list")


@require_POST
@role_required(WAREHOUSE)
def stock_adjust(request):
    form = StockAdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("fulfillment:stock_list")
    data = form.cleaned_data
    try:
        services.stock_adjust(
            product=data["product"],
            site=data["site"],
            quantity_delta=data["quantity"],
            user=request.user,
            reason=data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Adjusted %(sku)s at %(name)s by %(quantity)s.")
            % {"sku": data["product"].sku, "name": data["site"].name, "quantity": data["quantity"].normalize()},
        )
    return redirect("fulfillment:stock_list")


@require_GET
@role_required({Role.WAREHOUSE, Role.EXECUTIVE})
def pick_list(request):
    reservations = list(selectors.pick_list()[:500])
    groups = []
    for site, site_rows in groupby(reservations, key=lambda r: r.site):
        orders = []
        for order, rows in groupby(site_rows, key=lambda r: r.order_line.order):
            orders.append({"order": order, "rows": list(rows)})
        groups.append({"site": site, "orders": orders})
    return render(request, "fulfillment/pick_list.html", {"groups": groups, "truncated": len(reservations) == 500})


@require_POST
@role_required(WAREHOUSE)
def shipment_start(request):
    form = ShipmentStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("fulfillment:pick_list")
    try:
        shipment = services.shipment_start(
            order_id=form.cleaned_data["order"], site_id=form.cleaned_data["site"], user=request.user
        )
    except (DomainError, Site.DoesNotExist) as error:
        messages.error(request, getattr(error, "message", "No such order or site."))
        return redirect("fulfillment:pick_list")
    messages.success(
        request, _("Shipment %(number)s started: pick the goods, then pack.") % {"number": shipment.number}
    )
    return redirect("fulfillment:shipment_detail", shipment_id=shipment.pk)


@require_GET
@role_required(READERS)
def shipment_list(request):
    status = request.GET.get("status") or None
    if status not in Shipment.Status.values:
        status = None
    shipments = selectors.shipment_list(status=status, search=(request.GET.get("q") or "").strip() or None)
    page = CappedPaginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fulfillment/shipment_list.html",
        {"page": page, "query": query.urlencode(), "statuses": Shipment.Status.choices, "status": status},
    )


def _shipment_or_404(shipment_id) -> Shipment:
    try:
        return selectors.shipment_detail(shipment_id=shipment_id)
    except Shipment.DoesNotExist:
        raise Http404("No such shipment.") from None


@require_GET
@role_required(READERS)
def shipment_detail(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    lines = list(shipment.lines.all())
    return render(
        request,
        "fulfillment/shipment_detail.html",
        {
            "shipment": shipment,
            "lines": lines,
            "on_time": selectors.shipment_on_time(shipment),
            "pack_form": ShipmentPackForm(lines=lines),
            "ship_form": ShipmentShipForm(initial={"ship_date": timezone.localdate()}),
            "deliver_form": ShipmentDeliverForm(),
            "can_act": user_has_role(request.user, WAREHOUSE),
        },
    )


def _shipment_step(request, shipment_id, form, run, done_message):
    return run_step(
        request,
        form=form,
        run=run,
        done=done_message,
        then=redirect("fulfillment:shipment_detail", shipment_id=shipment_id),
    )


@require_POST
@role_required(WAREHOUSE)
def shipment_pack(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    form = ShipmentPackForm(request.POST, lines=shipment.lines.all())
    return _shipment_step(
        request,
        shipment_id,
        form,
        lambda data: services.shipment_pack(
            shipment_id=shipment_id,
            quantities=form.quantities(),
            packages=data["packages"],
            weight_kg=data["weight_kg"],
            user=request.user,
        ),
        _("Shipment %(number)s packed.") % {"number": shipment.number},
    )


@require_POST
@role_required(WAREHOUSE)
def shipment_ship(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    return _shipment_step(
        request,
        shipment_id,
        ShipmentShipForm(request.POST),
        lambda data: services.shipment_ship(shipment_id=shipment_id, user=request.user, **data),
        _("Shipment %(number)s shipped; finance is told to invoice.") % {"number": shipment.number},
    )


@require_POST
@role_required(WAREHOUSE)
def shipment_deliver(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    return _shipment_step(
        request,
        shipment_id,
        ShipmentDeliverForm(request.POST),
        lambda data: services.shipment_deliver(
            shipment_id=shipment_id, user=request.user, delivered_at=data["delivered_at"]
        ),
        _("Shipment %(number)s delivered.") % {"number": shipment.number},
    )


@require_POST
@role_required(WAREHOUSE)
def shipment_cancel(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    return _shipment_step(
        request,
        shipment_id,
        None,
        lambda data: services.shipment_cancel(shipment_id=shipment_id, user=request.user),
        _("Shipment %(number)s cancelled; the goods stay reserved.") % {"number": shipment.number},
    )


def _packing_slip_context(shipment):
    lines = list(shipment.lines.all())
    for line in lines:
        order_line = line.order_line
        line.net_amount = line_net_amount(
            quantity=line.quantity_packed,
            unit_price=order_line.unit_price,
            discount_percent=order_line.discount_percent,
            currency=shipment.order.currency,
        )
    customer = shipment.order.customer
    return {
        "shipment": shipment,
        "lines": lines,
        "show_prices": not (shipment.ship_to_third_party and customer.hide_prices_on_documents),
    }


@require_GET
@role_required(READERS)
def packing_slip(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    return render(request, "fulfillment/packing_slip.html", _packing_slip_context(shipment))


@require_GET
@role_required(READERS)
def packing_slip_pdf(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    pdf = pdf_from_template("fulfillment/packing_slip.html", _packing_slip_context(shipment))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="packing-slip-{shipment.number}.pdf"'
    return response
