"""The executive dashboard pages: thin views over omc.kpis (executives only)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from orders.access import role_required
from orders.pagination import CappedPaginator
from orders.reporting import reporting_view
from orders.roles import Role

from . import charts, kpis
from .dashboard_forms import KpiFilterForm, KpiTargetsForm

EXECUTIVES = {Role.EXECUTIVE}
PAGE_SIZE = 50
RADAR_ON_DASHBOARD = 10


def _filters(request) -> tuple[KpiFilterForm, kpis.Filters]:
    form = KpiFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.filters()
    return form, kpis.filters_build()


@require_GET
@role_required(EXECUTIVES)
@reporting_view  # KPI reads: the replica, when there is one
def dashboard(request):
    """The figures, waits, misses and radar are rendered once per filters and day and kept for a
    short while (OMC_KPI_CACHE_SECONDS): a repeat view is one cache read and the page layout."""
    form, f = _filters(request)
    key = kpis.dashboard_cache_key(f)
    body = cache.get(key)
    if body is None:
        body = render_to_string("omc/_dashboard_body.html", _dashboard_context(form, f), request=request)
        if not form.errors:
            cache.set(key, body, kpis.cache_seconds())
    return render(request, "omc/dashboard.html", {"body": mark_safe(body)})  # noqa: S308 our own template


def _dashboard_context(form, f: kpis.Filters) -> dict:
    with kpis.room_to_sort():  # one transaction with sort memory for the figures and the waits
        cards = kpis.kpi_cards(f)
        waits = kpis.waits(f)
    for card in cards:
        card.chart = charts.sparkline(card.trend)
        card.display = charts.display(card.value, card.unit)
        card.target_display = charts.display(card.target, card.unit, target=True)
    return {
        "form": form,
        "f": f,
        "query": urlencode(f.query()),
        "cards": cards,
        "step_bars": charts.bars(waits["steps"]),
        "handoff_bars": charts.bars(waits["handoffs"]),
        "percentiles": waits["percentiles"],
        "radar": kpis.radar_top(f, RADAR_ON_DASHBOARD),
        "misses": kpis.miss_attribution(f),
    }


@require_GET
@role_required(EXECUTIVES)
@reporting_view  # KPI reads: the replica, when there is one
def drilldown(request, key):
    kpi = kpis.KPI_BY_KEY.get(key)
    if kpi is None or kpi.orders is None:
        raise Http404(_("No orders stand behind this KPI."))
    form, f = _filters(request)
    page = CappedPaginator(kpis.kpi_orders(key, f), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(f.query())
    return render(request, "omc/drilldown.html", {"kpi": kpi, "f": f, "page": page, "query": query})


@require_GET
@role_required(EXECUTIVES)
@reporting_view  # KPI reads: the replica, when there is one
def radar(request):
    form, f = _filters(request)
    page = CappedPaginator(kpis.radar(f), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "omc/radar.html", {"f": f, "page": page, "query": urlencode(f.query())})


@role_required(EXECUTIVES)
@require_http_methods(["GET", "POST"])
def targets(request):
    current = kpis.targets()
    form = KpiTargetsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        changed = kpis.kpi_targets_save(values=form.cleaned_data, user=request.user)
        messages.success(request, _("Targets saved (%(changed)s changed).") % {"changed": changed})
        return redirect("dashboard:targets")
    return render(request, "omc/targets.html", {"form": form, "current": current})
