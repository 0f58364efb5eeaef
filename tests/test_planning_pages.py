"""Planning pages: login and roles, the grid's save endpoint, CSV import/export, consensus,
accuracy and capacity as the browser sees them, lists that page with pinned query counts."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.roles import Role
from planning import services
from planning.models import Consensus, Forecast, ForecastVersion, PlanningEvent, Source
from planning.months import first_open_month, month_add

from .factories import OrderFactory, OrderLineFactory, ProductFactory
from .planning_factories import ConsensusFactory, ForecastFactory, RoutingStepFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db
D = Decimal

PAGES = [
    "/planning/",
    "/planning/forecasts/sales/",
    "/planning/forecasts/production/",
    "/planning/forecasts/sales/export.csv",
    "/planning/forecasts/sales/import/",
    "/planning/consensus/",
    "/planning/accuracy/",
    "/planning/capacity/",
]


@pytest.fixture
def login(client, user_with):
    def as_role(*roles):
        user = user_with(*roles)
        client.force_login(user)
        client.user = user
        return client

    return as_role


@pytest.fixture
def month():
    return first_open_month()


@pytest.mark.parametrize("url", PAGES)
def test_planning_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


@pytest.mark.parametrize("url", PAGES)
def test_roles_outside_planning_get_403(login, url):
    assert login(Role.WAREHOUSE).get(url).status_code == 403


@pytest.mark.parametrize(
    "role, allowed, forbidden",
    [
        (
            Role.SALES_REP,
            ["/planning/forecasts/sales/", "/planning/forecasts/sales/import/"],
            ["/planning/forecasts/production/", "/planning/consensus/", "/planning/accuracy/", "/planning/capacity/"],
        ),
        (
            Role.SCHEDULER,
            ["/planning/forecasts/production/", "/planning/consensus/", "/planning/capacity/"],
            ["/planning/forecasts/sales/", "/planning/forecasts/sales/import/", "/planning/accuracy/"],
        ),
        (
            Role.DEMAND_PLANNER,
            ["/planning/forecasts/sales/", "/planning/forecasts/production/", "/planning/accuracy/"],
            ["/planning/forecasts/sales/import/", "/planning/forecasts/production/import/"],
        ),
        (
            Role.EXECUTIVE,
            ["/planning/forecasts/sales/", "/planning/consensus/", "/planning/accuracy/", "/planning/capacity/"],
            ["/planning/forecasts/production/import/"],
        ),
    ],
)
def test_each_role_sees_its_planning_pages(login, role, allowed, forbidden):
    client = login(role)
    for url in allowed:
        assert client.get(url).status_code == 200, url
    for url in forbidden:
        assert client.get(url).status_code == 403, url


def test_planning_home_opens_the_user_s_own_grid(login):
    assert login(Role.SCHEDULER).get("/planning/").url == "/planning/forecasts/production/"


def test_navigation_lists_the_planning_pages_by_role(login):
    html = login(Role.SALES_REP).get("/planning/forecasts/sales/").content.decode()
    assert ">Forecasts<" in html and ">Consensus<" not in html and ">Accuracy<" not in html
    html = login(Role.DEMAND_PLANNER).get("/planning/forecasts/sales/").content.decode()
    assert all(f">{label}<" in html for label in ("Forecasts", "Consensus", "Accuracy", "Capacity plan"))


def test_an_unknown_source_is_a_404(login):
    assert login(Role.EXECUTIVE).get("/planning/forecasts/marketing/").status_code == 404


# --- the grid ------------------------------------------------------------------------------


def test_the_grid_pages_50_products_with_twelve_months_in_fixed_queries(login, month, django_assert_num_queries):
    client = login(Role.SALES_REP)
    products = [ProductFactory(sku=f"G-{n:03d}", family="Valves" if n % 2 else "Pumps") for n in range(60)]
    for product in products[:10]:
        ForecastFactory(product=product, month=month, quantity=D("12.5"))

    # session, user, roles, alert count, families, count, page, forecasts (and savepoints none)
    with django_assert_num_queries(8):
        first = client.get("/planning/forecasts/sales/")
    second = client.get("/planning/forecasts/sales/?page=2")
    filtered = client.get("/planning/forecasts/sales/?family=Valves&q=G-00")

    html = first.content.decode()
    assert html.count('class="cell"') == 50 * 12 and "Page 1 of 2 · 60 in all" in html
    assert 'value="12.5"' in html and f"{month:%b}" in html
    assert second.content.decode().count("<tr data-product=") == 10
    assert filtered.content.decode().count("<tr data-product=") == 5  # G-001, 003, 005, 007, 009


def test_the_grid_is_read_only_for_readers(login):
    ProductFactory()
    html = login(Role.EXECUTIVE).get("/planning/forecasts/sales/").content.decode()
    assert 'data-editable="false"' in html and " readonly" in html and "Import CSV" not in html


def test_the_grid_has_an_empty_state(login):
    assert b"No products match these filters." in login(Role.SALES_REP).get("/planning/forecasts/sales/").content


def _save(client, source, cells):
    return client.post(
        f"/planning/forecasts/{source}/save/", json.dumps({"cells": cells}), content_type="application/json"
    )


def test_grid_save_keeps_good_cells_and_explains_each_bad_one(login, month):
    client = login(Role.SALES_REP)
    product = ProductFactory()
    label, closed = f"{month:%Y-%m}", f"{month_add(month, -1):%Y-%m}"

    response = _save(
        client,
        "sales",
        [
            {"product": product.pk, "month": label, "quantity": "1,200"},
            {"product": product.pk, "month": f"{month_add(month, 1):%Y-%m}", "quantity": "-4"},
            {"product": product.pk, "month": f"{month_add(month, 2):%Y-%m}", "quantity": "lots"},
            {"product": product.pk, "month": closed, "quantity": "3"},
            {"product": 999999, "month": label, "quantity": "3"},
            {"product": product.pk, "month": "soon", "quantity": "3"},
        ],
    )

    assert response.status_code == 200
    body = response.json()
    assert body["saved"] == [{"product": product.pk, "month": label, "quantity": "1200", "version": 1}]
    messages = [e["message"] for e in body["errors"]]
    assert messages[:3] == ["A quantity cannot be negative.", "“lots” is not a number.", "Enter a month as YYYY-MM."]
    assert "is closed" in messages[3] and messages[4] == "Unknown or inactive product."
    assert Forecast.objects.get().quantity == D("1200")


def test_grid_save_refuses_the_other_source_and_bad_bodies(login, month):
    client = login(Role.SALES_REP)
    product = ProductFactory()
    cell = {"product": product.pk, "month": f"{month:%Y-%m}", "quantity": "1"}
    assert _save(client, "production", [cell]).status_code == 403
    assert (
        client.post("/planning/forecasts/sales/save/", "not json", content_type="application/json").status_code == 400
    )
    assert _save(client, "sales", []).status_code == 400
    assert _save(client, "sales", ["x"]).status_code == 400
    assert not Forecast.objects.exists()


def test_cell_history_shows_every_version(login, month):
    client = login(Role.SALES_REP)
    product = ProductFactory()
    for quantity in ("10", "15"):
        services.forecast_save(
            source=Source.SALES, product=product, month=month, quantity=D(quantity), actor=client.user
        )

    html = client.get(
        f"/planning/forecasts/sales/history/?fragment=1&product={product.pk}&month={month:%Y-%m}"
    ).content.decode()

    assert "v2" in html and "v1" in html and html.index("v2") < html.index("v1")
    assert client.get("/planning/forecasts/sales/history/?product=x&month=1").status_code == 400


# --- CSV -----------------------------------------------------------------------------------


def _upload(client, text, source="sales"):
    upload = SimpleUploadedFile("forecast.csv", text.encode(), content_type="text/csv")
    return client.post(f"/planning/forecasts/{source}/import/", {"file": upload})


def test_csv_import_happy_path(login, month):
    client = login(Role.SALES_REP)
    ProductFactory(sku="IMP-1")
    ProductFactory(sku="IMP-2")
    label, later = f"{month:%Y-%m}", f"{month_add(month, 1):%Y-%m}"

    response = _upload(client, f"sku,month,quantity\nIMP-1,{label},10\nIMP-1,{later},12.5\n\nIMP-2,{label},0\n")

    assert response.status_code == 302 and response.url == "/planning/forecasts/sales/"
    assert sorted(Forecast.objects.values_list("product__sku", "quantity")) == [
        ("IMP-1", D("10")),
        ("IMP-1", D("12.5")),
        ("IMP-2", D("0")),
    ]
    assert set(ForecastVersion.objects.values_list("origin", flat=True)) == {"import"}
    event = PlanningEvent.objects.get()
    assert event.kind == "forecast_imported" and event.role == Role.SALES_REP and "3 rows read" in event.note
    assert "Imported 3 rows" in client.get(response.url).content.decode()


def test_csv_import_with_errors_imports_nothing_and_lists_each_row(login, month):
    client = login(Role.SALES_REP)
    ProductFactory(sku="IMP-1")
    label = f"{month:%Y-%m}"

    response = _upload(
        client, f"sku,month,quantity\nIMP-1,{label},10\nGHOST,{label},1\nIMP-1,13/2026,1\nIMP-1,{label},-1\n"
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported: 3 problems in 4 rows" in html
    for text in ("Unknown SKU “GHOST”", "Bad month “13/2026”", "A quantity cannot be negative."):
        assert text in html
    assert not Forecast.objects.exists() and not PlanningEvent.objects.exists()


def test_csv_import_rejects_files_that_are_not_the_format(login):
    client = login(Role.SALES_REP)
    assert "must be the header" in _upload(client, "code;qty\nX;1\n").content.decode()
    assert client.post("/planning/forecasts/sales/import/", {}).status_code == 400
    assert _upload(login(Role.SCHEDULER), "sku,month,quantity\n", source="sales").status_code == 403


def test_csv_export_follows_the_grid_filters(login, month):
    client = login(Role.DEMAND_PLANNER)
    pump, valve = ProductFactory(sku="EX-P", family="Pumps"), ProductFactory(sku="EX-V", family="Valves")
    ForecastFactory(product=pump, month=month, quantity=D("5"))
    ForecastFactory(product=valve, month=month, quantity=D("6"))
    ForecastFactory(product=pump, month=month, quantity=D("7"), source=Source.PRODUCTION)

    response = client.get("/planning/forecasts/sales/export.csv?family=Pumps")

    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).decode() == f"sku,month,quantity\r\nEX-P,{month:%Y-%m},5\r\n"


# --- consensus -----------------------------------------------------------------------------


def test_consensus_page_shows_both_sources_and_highlights_gaps(login, month, django_assert_num_queries):
    client = login(Role.DEMAND_PLANNER)
    for n in range(30):
        product = ProductFactory(sku=f"CON-{n:02d}")
        ForecastFactory(product=product, month=month, quantity=D("100"))
        ForecastFactory(product=product, month=month, quantity=D("80" if n == 0 else "95"), source=Source.PRODUCTION)
        ConsensusFactory(product=product, month=month, quantity=D("90"))

    with django_assert_num_queries(9):
        html = client.get(f"/planning/consensus/?month={month:%Y-%m}").content.decode()

    assert html.count('<tr id="consensus-') == 30
    assert html.count('class="apart"') == 1 and "20.0%" in html and "5.0%" in html


def test_setting_the_consensus_from_the_page_with_htmx(login, month):
    client = login(Role.DEMAND_PLANNER)
    product = ProductFactory()
    form = {"product": product.pk, "month": f"{month:%Y-%m}", "quantity": "90", "rationale": "Halfway"}

    missing = client.post("/planning/consensus/set/", {**form, "rationale": ""}, HTTP_HX_REQUEST="true")
    saved = client.post("/planning/consensus/set/", form, HTTP_HX_REQUEST="true")

    assert missing.status_code == 200 and "a rationale is required" in missing.content.decode()
    assert saved.status_code == 200 and saved.content.decode().lstrip().startswith(f'<tr id="consensus-{product.pk}"')
    assert Consensus.objects.get().rationale == "Halfway"


def test_setting_the_consensus_without_htmx_redirects_with_a_message(login, month):
    client = login(Role.DEMAND_PLANNER)
    product = ProductFactory(sku="NOJS-1")
    form = {"product": product.pk, "month": f"{month:%Y-%m}", "quantity": "-1", "rationale": "x"}

    bad = client.post("/planning/consensus/set/", form, follow=True)
    good = client.post("/planning/consensus/set/", {**form, "quantity": "4"}, follow=True)

    assert "A quantity cannot be negative." in bad.content.decode()
    assert f"Consensus for NOJS-1 in {month:%Y-%m} saved." in good.content.decode()


def test_consensus_writes_need_their_roles(login, month):
    product = ProductFactory()
    ConsensusFactory(product=product, month=month)
    form = {"product": product.pk, "month": f"{month:%Y-%m}", "quantity": "1", "rationale": "x"}
    assert login(Role.SCHEDULER).post("/planning/consensus/set/", form).status_code == 403
    assert login(Role.DEMAND_PLANNER).post("/planning/consensus/sign-off/", form).status_code == 403
    assert not PlanningEvent.objects.exists()


def test_the_scheduler_signs_off_a_row_and_then_the_whole_page(login, month, user_with):
    client = login(Role.SCHEDULER)
    planner = user_with(Role.DEMAND_PLANNER)
    products = [ProductFactory() for _ in range(3)]
    for product in products:
        services.consensus_set(product=product, month=month, quantity=D("10"), rationale="ok", actor=planner)
    label = f"{month:%Y-%m}"

    row = client.post(
        "/planning/consensus/sign-off/", {"month": label, "product": products[0].pk}, HTTP_HX_REQUEST="true"
    )
    page = client.get(f"/planning/consensus/?month={label}").content.decode()
    everything = client.post(
        "/planning/consensus/sign-off/",
        {"month": label, "product": [p.pk for p in products[1:]], "next": f"/planning/consensus/?month={label}"},
        follow=True,
    )

    assert 'data-testid="signed-off"' in row.content.decode()
    assert "Sign off 2 on this page" in page
    assert "Signed off 2 consensus figures" in everything.content.decode()
    assert Consensus.objects.filter(signed_off_by=client.user).count() == 3
    assert PlanningEvent.objects.filter(kind="consensus_signed_off").count() == 3


def test_consensus_history_shows_events_and_versions(login, month, user_with):
    planner = user_with(Role.DEMAND_PLANNER)
    product = ProductFactory()
    services.forecast_save(
        source=Source.SALES, product=product, month=month, quantity=D("100"), actor=user_with(Role.SALES_REP)
    )
    services.consensus_set(product=product, month=month, quantity=D("90"), rationale="Market is soft", actor=planner)

    html = login(Role.EXECUTIVE).get(f"/planning/consensus/{product.pk}/{month:%Y-%m}/").content.decode()

    assert "Consensus set" in html and "Market is soft" in html and "Demand planner" in html and "v1" in html
    assert login(Role.EXECUTIVE).get(f"/planning/consensus/{product.pk}/soon/").status_code == 404


# --- accuracy and capacity -------------------------------------------------------------------


def test_accuracy_page_says_who_over_forecast(login):
    first = month_add(first_open_month(), -2)  # last month, a complete one
    product = ProductFactory(sku="ACC-P")
    ForecastFactory(product=product, month=first, quantity=D("118"))
    order = OrderFactory(created_at=datetime(first.year, first.month, 10, tzinfo=UTC))
    OrderLineFactory(order=order, line_no=1, product=product, quantity_ordered=D("100"))

    html = login(Role.EXECUTIVE).get("/planning/accuracy/").content.decode()

    assert "Sales over-forecast by 18%" in html and "ACC-P" in html
    assert "Nothing to compare yet." in html  # production entered nothing


def test_capacity_page_flags_overloads(login):
    wc = WorkCenterFactory(code="CAP-1")
    product = ProductFactory()
    RoutingStepFactory(product=product, work_center=wc, hours_per_unit=D("1"))
    ConsensusFactory(product=product, month=date(2026, 3, 1), quantity=D("220"))

    html = login(Role.SCHEDULER).get("/planning/capacity/?start=2026-W10").content.decode()

    assert "CAP-1" in html and "4 overloaded" in html and "125%" in html
    assert "Enter a week" in login(Role.SCHEDULER).get("/planning/capacity/?start=week10").content.decode()


def test_capacity_page_has_an_empty_state(login):
    assert b"No active work centers." in login(Role.EXECUTIVE).get("/planning/capacity/").content
