"""Order planning pages: thin views over planning selectors and services."""

import json
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.access import role_required
from orders.errors import DomainError
from orders.models import Product, WorkCenter
from orders.reporting import reporting_view
from orders.roles import user_has_role

from . import selectors, services
from .csv_io import forecast_csv_lines, forecast_csv_read, quantity_text
from .forms import (
    CapacityFilterForm,
    CellHistoryForm,
    ConsensusFilterForm,
    ConsensusSetForm,
    ForecastImportForm,
    GridCellForm,
    ProductFilterForm,
    SignOffForm,
)
from .models import ForecastVersion, Source
from .months import first_open_month, month_label, month_parse, months_ahead, today, week_label, week_monday
from .permissions import (
    ACCURACY_READERS,
    CAPACITY_READERS,
    CONSENSUS_READERS,
    CONSENSUS_SETTERS,
    CONSENSUS_SIGNERS,
    GRID_READERS,
    PLANNING_USERS,
    can_edit_source,
    readable_sources,
)

GRID_PAGE_SIZE = 50
CONSENSUS_PAGE_SIZE = 50
ACCURACY_PAGE_SIZE = 50
CAPACITY_PAGE_SIZE = 25
CAPACITY_WEEKS = 13
MAX_CELLS_PER_SAVE = 2000


def _source_or_404(source: str) -> Source:
    if source not in Source.values:
        raise Http404("No such forecast source.")
    return Source(source)


def _require(request, roles) -> None:
    if not user_has_role(request.user, roles):
        raise PermissionDenied(_("Your role does not give access to this page."))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _filtered_products(form):
    filters = form.cleaned_data if form.is_valid() else {}
    return selectors.product_list(family=filters.get("family") or None, search=filters.get("q") or None)


@require_GET
@role_required(PLANNING_USERS)
def planning_home(request):
    sources = readable_sources(request.user)
    if sources:
        return redirect("planning:forecast_grid", source=sources[0])
    return redirect("planning:consensus")


# --- forecast grid -------------------------------------------------------------------------


@require_GET
@role_required(PLANNING_USERS)
def forecast_grid(request, source: str):
    source = _source_or_404(source)
    _require(request, GRID_READERS[source])
    form = ProductFilterForm(request.GET or None)
    page = Paginator(_filtered_products(form), GRID_PAGE_SIZE).get_page(request.GET.get("page"))
    months = months_ahead(first=first_open_month())
    context = {
        "source": source,
        "sources": readable_sources(request.user),
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "months": months,
        "rows": selectors.forecast_grid(source=source, products=list(page.object_list), months=months),
        "can_edit": can_edit_source(request.user, source),
    }
    return render(request, "planning/forecast_grid.html", context)


def _cell_key(cell) -> dict:
    return {"product": cell.get("product"), "month": cell.get("month")}


@require_POST
@role_required(PLANNING_USERS)
def forecast_grid_save(request, source: str):
    """Save the cells the grid sends as JSON: {"cells": [{"product", "month", "quantity"}]}.
    Good cells are saved, each bad one comes back with its own message."""
    source = _source_or_404(source)
    if not can_edit_source(request.user, source):
        return JsonResponse({"detail": _("Your role may not edit this forecast.")}, status=403)
    try:
        cells = json.loads(request.body or b"{}").get("cells")
    except (ValueError, AttributeError):
        cells = None
    if not isinstance(cells, list) or not cells or len(cells) > MAX_CELLS_PER_SAVE:
        return JsonResponse({"detail": f"Send 1 to {MAX_CELLS_PER_SAVE} cells."}, status=400)
    errors, valid = [], []
    for cell in cells:
        if not isinstance(cell, dict):
            return JsonResponse({"detail": "Each cell is an object."}, status=400)
        form = GridCellForm(cell)
        if form.is_valid():
            data = form.cleaned_data
            entry = services.ForecastEntry(product_id=data["product"], month=data["month"], quantity=data["quantity"])
            valid.append((cell, entry))
        else:
            message = next(iter(form.errors.values()))[0]
            errors.append({**_cell_key(cell), "message": message})
    rule_errors = services.forecast_entry_errors(entries=[entry for _cell, entry in valid])
    for index, (_cell, message) in rule_errors.items():
        errors.append({**_cell_key(valid[index][0]), "message": message})
    entries = [entry for index, (_cell, entry) in enumerate(valid) if index not in rule_errors]
    try:
        services.forecast_save_many(
            source=source, entries=entries, actor=request.user, origin=ForecastVersion.Origin.GRID
        )
    except DomainError as error:
        return JsonResponse({"detail": error.message, "errors": errors}, status=error.http_status)
    saved = {
        (f.product_id, f.month): f
        for f in selectors.forecast_list(sources=[source], source=source).filter(
            product_id__in={e.product_id for e in entries}, month__in={e.month for e in entries}
        )
    }
    return JsonResponse(
        {
            "saved": [
                {
                    "product": entry.product_id,
                    "month": month_label(entry.month),
                    "quantity": quantity_text(saved[(entry.product_id, entry.month)].quantity),
                    "version": saved[(entry.product_id, entry.month)].version,
                }
                for entry in entries
            ],
            "errors": errors,
        }
    )


@require_GET
@role_required(PLANNING_USERS)
def forecast_cell_history(request, source: str):
    source = _source_or_404(source)
    _require(request, GRID_READERS[source])
    form = CellHistoryForm(request.GET)
    if not form.is_valid():
        return HttpResponse(_("Choose a cell to see its history."), status=400)
    product = get_object_or_404(Product, pk=form.cleaned_data["product"])
    month = form.cleaned_data["month"]
    versions = list(selectors.forecast_history(source=source, product_id=product.pk, month=month)[:50])
    context = {"source": source, "product": product, "month": month, "versions": versions}
    template = (
        "planning/_cell_history.html" if request.htmx or request.GET.get("fragment") else "planning/cell_history.html"
    )
    return render(request, template, context)


@require_GET
@role_required(PLANNING_USERS)
def forecast_export(request, source: str):
    """The grid's figures (its filters, its 12 months, every page) as CSV, streamed."""
    source = _source_or_404(source)
    _require(request, GRID_READERS[source])
    products = _filtered_products(ProductFilterForm(request.GET or None))
    months = months_ahead(first=first_open_month())
    rows = selectors.forecast_export_rows(source=source, products=products, months=months)
    response = StreamingHttpResponse(forecast_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="forecast-{source}-{today():%Y%m%d}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(PLANNING_USERS)
def forecast_import(request, source: str):
    """Upload a CSV: every row is checked first; with any error nothing is imported and the
    page lists every bad row."""
    source = _source_or_404(source)
    if not can_edit_source(request.user, source):
        raise PermissionDenied(_("Your role may not edit this forecast."))
    # Bound on every POST, even an empty one, so a missing file is an error the page shows.
    form = ForecastImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    context = {"source": source, "form": form, "result": None}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = forecast_csv_read(upload.read())
        context["result"] = result
        if not result.errors:
            try:
                changed = services.forecast_import(
                    source=source, entries=result.entries, actor=request.user, file_name=upload.name[:100]
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Imported %(rows_read)s rows: %(changed)s figures changed, the rest were unchanged.")
                    % {"rows_read": result.rows_read, "changed": changed},
                )
                return redirect("planning:forecast_grid", source=source)
    status = 400 if request.method == "POST" else 200
    return render(request, "planning/forecast_import.html", context, status=status)


# --- consensus -----------------------------------------------------------------------------


def _consensus_month(request, months):
    month = month_parse(request.GET.get("month") or request.POST.get("month") or "")
    return month if month in months else months[0]


@require_GET
@role_required(CONSENSUS_READERS)
def consensus(request):
    months = months_ahead(first=first_open_month())
    form = ConsensusFilterForm(request.GET or None, months=months)
    month = _consensus_month(request, months)
    page = Paginator(_filtered_products(form), CONSENSUS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.consensus_rows(products=list(page.object_list), month=month)
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "months": months,
        "month": month,
        "rows": rows,
        "can_set": user_has_role(request.user, CONSENSUS_SETTERS),
        "can_sign": user_has_role(request.user, CONSENSUS_SIGNERS),
        "pending_sign_off": [row.product.pk for row in rows if row.consensus and not row.consensus.signed_off],
        "threshold": selectors.DIFFERENCE_THRESHOLD_PERCENT,
    }
    return render(request, "planning/consensus.html", context)


def _consensus_row_response(request, product, month, *, error=None):
    """The row again, for htmx to swap in; an error is shown in the row (status 200, because
    htmx does not swap error responses)."""
    context = {
        "row": selectors.consensus_row(product=product, month=month),
        "can_set": user_has_role(request.user, CONSENSUS_SETTERS),
        "can_sign": user_has_role(request.user, CONSENSUS_SIGNERS),
        "row_error": error,
        # After an error the row keeps what was typed, so nothing has to be typed twice.
        "typed": request.POST if error else None,
        "threshold": selectors.DIFFERENCE_THRESHOLD_PERCENT,
    }
    return render(request, "planning/_consensus_row.html", context)


def _back_to_consensus(request):
    back = request.POST.get("next") or ""
    if back.startswith(reverse("planning:consensus")):
        return redirect(back)
    return redirect("planning:consensus")


@require_POST
@role_required(CONSENSUS_SETTERS)
def consensus_set(request):
    form = ConsensusSetForm(request.POST)
    if not form.is_valid():
        error = " ".join(message for field_errors in form.errors.values() for message in field_errors)
        product, month = form.cleaned_data.get("product"), form.cleaned_data.get("month")
        if request.htmx and product and month:
            return _consensus_row_response(request, product, month, error=error)
        messages.error(request, error)
        return _back_to_consensus(request)
    data = form.cleaned_data
    try:
        services.consensus_set(
            product=data["product"],
            month=data["month"],
            quantity=data["quantity"],
            rationale=data["rationale"],
            actor=request.user,
        )
    except DomainError as error:
        if request.htmx:
            return _consensus_row_response(request, data["product"], data["month"], error=error.message)
        messages.error(request, error.message)
        return _back_to_consensus(request)
    if request.htmx:
        return _consensus_row_response(request, data["product"], data["month"])
    messages.success(
        request,
        _("Consensus for %(sku)s in %(month)s saved.")
        % {"sku": data["product"].sku, "month": month_label(data["month"])},
    )
    return _back_to_consensus(request)


@require_POST
@role_required(CONSENSUS_SIGNERS)
def consensus_sign_off(request):
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(message for errors in form.errors.values() for message in errors))
        return _back_to_consensus(request)
    month, product_ids = form.cleaned_data["month"], form.cleaned_data["product"]
    single = len(product_ids) == 1 and request.htmx
    try:
        count = services.consensus_sign_off(month=month, product_ids=product_ids, actor=request.user)
    except DomainError as error:
        if single:
            product = get_object_or_404(Product, pk=product_ids[0])
            return _consensus_row_response(request, product, month, error=error.message)
        messages.error(request, error.message)
        return _back_to_consensus(request)
    if single:
        return _consensus_row_response(request, get_object_or_404(Product, pk=product_ids[0]), month)
    messages.success(
        request,
        ngettext(
            "Signed off %(count)s consensus figure for %(month)s.",
            "Signed off %(count)s consensus figures for %(month)s.",
            count,
        )
        % {"count": count, "month": date_format(month, "YEAR_MONTH_FORMAT")},
    )
    return _back_to_consensus(request)


@require_GET
@role_required(CONSENSUS_READERS)
def consensus_history(request, product_id: int, month: str):
    """Everything that happened to one product-month: both sources' versions and the
    consensus events."""
    product = get_object_or_404(Product, pk=product_id)
    month_date = month_parse(month)
    if month_date is None:
        raise Http404("No such month.")
    context = {
        "product": product,
        "month": month_date,
        "row": selectors.consensus_row(product=product, month=month_date),
        "events": list(selectors.planning_events(product_id=product.pk, month=month_date)[:200]),
        "versions": {
            source.label: list(selectors.forecast_history(source=source, product_id=product.pk, month=month_date)[:50])
            for source in Source
        },
    }
    return render(request, "planning/consensus_history.html", context)


# --- accuracy ------------------------------------------------------------------------------


@require_GET
@role_required(ACCURACY_READERS)
@reporting_view  # forecast accuracy: a reporting read (the replica, when there is one)
def accuracy(request):
    source = request.GET.get("source")
    source = Source(source) if source in Source.values else Source.SALES
    first, end = selectors.accuracy_window()
    by_product = Paginator(selectors.forecast_accuracy_by_product(source=source), ACCURACY_PAGE_SIZE)
    page = by_product.get_page(request.GET.get("page"))
    context = {
        "source": source,
        "sources": list(Source),
        "first": first,
        "last": months_ahead(first=first, count=12)[-1],
        "overall": [selectors.forecast_accuracy(source=s) for s in Source],
        "by_month": selectors.forecast_accuracy_by_month(source=source),
        "page": page,
        "product_rows": [(row, selectors.accuracy_from_row(source, row)) for row in page.object_list],
        "query": _query_without_page(request),
    }
    return render(request, "planning/accuracy.html", context)


# --- capacity ------------------------------------------------------------------------------


@require_GET
@role_required(CAPACITY_READERS)
def capacity(request):
    form = CapacityFilterForm(request.GET or None)
    start = (form.cleaned_data.get("start") if form.is_valid() else None) or week_monday(today())
    page = Paginator(WorkCenter.objects.filter(active=True).order_by("code", "id"), CAPACITY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.capacity_plan(work_centers=list(page.object_list), start=start, weeks=CAPACITY_WEEKS)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "weeks": [start + timedelta(days=7 * offset) for offset in range(CAPACITY_WEEKS)],
        "start": start,
        "previous_start": week_label(start - timedelta(days=7 * CAPACITY_WEEKS)),
        "next_start": week_label(start + timedelta(days=7 * CAPACITY_WEEKS)),
        "this_week": week_label(week_monday(today())),
        "start_label": week_label(start),
        "query": f"start={week_label(start)}",
    }
    return render(request, "planning/capacity.html", context)
