"""The /api/planning/ contract: roles (403), bad input (400 with field errors), never a 500."""

from datetime import date
from decimal import Decimal

import pytest

from orders.roles import Role
from planning import services
from planning.models import Consensus, Forecast, ForecastVersion, PlanningEvent, Source
from planning.months import first_open_month, month_add

from .factories import ProductFactory
from .planning_factories import ConsensusFactory, RoutingStepFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    return f"{first_open_month():%Y-%m}"


@pytest.fixture
def product():
    return ProductFactory(sku="API-1", family="Pumps")


def test_a_sales_rep_saves_a_forecast_and_every_version_is_kept(api_as, product, month):
    sales = api_as(Role.SALES_REP)
    payload = {"product": product.pk, "source": "sales", "month": month, "quantity": "100"}

    first = sales.post("/api/planning/forecasts/", payload, format="json")
    second = sales.post("/api/planning/forecasts/", {**payload, "quantity": "120.5"}, format="json")

    assert first.status_code == 201 and first.json()["version"] == 1
    assert second.status_code == 201
    assert {k: second.json()[k] for k in ("sku", "month", "quantity", "version", "updated_by")} == {
        "sku": "API-1",
        "month": month,
        "quantity": "120.500",
        "version": 2,
        "updated_by": sales.user.username,
    }
    history = sales.get(f"/api/planning/forecasts/history/?product={product.pk}&source=sales&month={month}")
    assert [(v["version"], v["quantity"], v["previous_quantity"], v["origin"]) for v in history.json()["results"]] == [
        (2, "120.500", "100.000", "api"),
        (1, "100.000", None, "api"),
    ]


def test_forecast_list_filters_and_pages(api_as, product, month, user_with):
    services.forecast_save(
        source=Source.SALES,
        product=product,
        month=first_open_month(),
        quantity=Decimal("5"),
        actor=user_with(Role.SALES_REP),
    )
    services.forecast_save(
        source=Source.PRODUCTION,
        product=product,
        month=first_open_month(),
        quantity=Decimal("6"),
        actor=user_with(Role.SCHEDULER),
    )
    planner = api_as(Role.DEMAND_PLANNER)

    both = planner.get(f"/api/planning/forecasts/?family=Pumps&month_from={month}&month_to={month}").json()
    sales_only = planner.get("/api/planning/forecasts/?source=sales&search=api-1").json()

    assert both["count"] == 2 and {"count", "next", "previous", "results"} <= set(both)
    assert [(r["source"], r["quantity"]) for r in sales_only["results"]] == [("sales", "5.000")]


def test_a_sales_rep_reads_only_the_sales_forecast(api_as):
    sales = api_as(Role.SALES_REP)
    assert sales.get("/api/planning/forecasts/?source=production").status_code == 403
    assert sales.get("/api/planning/forecasts/").status_code == 200


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "1.23456"}, "quantity"),
        ({"month": "2026-13"}, "month"),
        ({"month": "next month"}, "month"),
        ({"month": 202612}, "month"),
        ({"source": "marketing"}, "source"),
        ({"product": 999999999}, "product"),
        ({"product": "x"}, "product"),
    ],
)
def test_bad_forecast_input_is_a_400_with_field_errors(api_as, product, month, payload, field):
    body = {"product": product.pk, "source": "sales", "month": month, "quantity": "1", **payload}
    response = api_as(Role.SALES_REP).post("/api/planning/forecasts/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Forecast.objects.exists()


def test_a_closed_month_is_a_400_on_month(api_as, product):
    closed = f"{month_add(first_open_month(), -1):%Y-%m}"
    body = {"product": product.pk, "source": "sales", "month": closed, "quantity": "1"}
    response = api_as(Role.SALES_REP).post("/api/planning/forecasts/", body, format="json")
    assert response.status_code == 400 and "closed" in response.json()["month"][0]


@pytest.mark.parametrize(
    "role, source",
    [
        (Role.EXECUTIVE, "sales"),
        (Role.DEMAND_PLANNER, "production"),
        (Role.SCHEDULER, "sales"),
        (Role.SALES_REP, "production"),
    ],
)
def test_only_the_source_s_role_may_enter_it(api_as, product, month, role, source):
    body = {"product": product.pk, "source": source, "month": month, "quantity": "1"}
    assert api_as(role).post("/api/planning/forecasts/", body, format="json").status_code == 403
    assert not ForecastVersion.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/planning/forecasts/",
        "/api/planning/consensus/",
        "/api/planning/accuracy/",
        "/api/planning/capacity/",
    ],
)
def test_roles_outside_planning_get_403(api_as, url):
    assert api_as(Role.WAREHOUSE).get(url).status_code == 403


def test_anonymous_callers_get_401(client):
    assert client.get("/api/planning/forecasts/").status_code == 401


def test_the_planner_sets_the_consensus_and_the_scheduler_signs_off(api_as, product, month):
    planner, scheduler = api_as(Role.DEMAND_PLANNER), api_as(Role.SCHEDULER)
    body = {"product": product.pk, "month": month, "quantity": "95", "rationale": "Sales is optimistic"}

    assert api_as(Role.SALES_REP).post("/api/planning/consensus/", body, format="json").status_code == 403
    assert scheduler.post("/api/planning/consensus/", body, format="json").status_code == 403
    missing = planner.post("/api/planning/consensus/", {**body, "rationale": ""}, format="json")
    assert missing.status_code == 400 and "rationale" in missing.json()
    saved = planner.post("/api/planning/consensus/", body, format="json")
    assert saved.status_code == 200 and saved.json()["quantity"] == "95.000" and saved.json()["signed_off_by"] is None

    sign = {"month": month, "products": [product.pk]}
    assert planner.post("/api/planning/consensus/sign-off/", sign, format="json").status_code == 403
    signed = scheduler.post("/api/planning/consensus/sign-off/", sign, format="json")
    assert signed.status_code == 200 and signed.json() == {"signed_off": 1}
    again = scheduler.post("/api/planning/consensus/sign-off/", sign, format="json")
    assert again.status_code == 400 and "products" in again.json()

    listed = scheduler.get(f"/api/planning/consensus/?month={month}&signed_off=true").json()
    assert [(r["sku"], r["signed_off_by"]) for r in listed["results"]] == [("API-1", scheduler.user.username)]
    assert PlanningEvent.objects.filter(kind="consensus_signed_off", role=Role.SCHEDULER).count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"month": "2026-1x", "products": [1]}, "month"),
        ({"month": "2026-12", "products": []}, "products"),
        ({"month": "2026-12", "products": ["a"]}, "products"),
        ({"month": "2026-12"}, "products"),
    ],
)
def test_bad_sign_off_input_is_a_400(api_as, body, field):
    response = api_as(Role.SCHEDULER).post("/api/planning/consensus/sign-off/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_accuracy_is_for_executives_and_planners(api_as):
    assert api_as(Role.SALES_REP).get("/api/planning/accuracy/").status_code == 403
    response = api_as(Role.EXECUTIVE).get("/api/planning/accuracy/?source=production")
    assert response.status_code == 200
    body = response.json()
    assert [o["source"] for o in body["overall"]] == ["sales", "production"] and body["source"] == "production"
    assert body["results"] == [] and "first_month" in body
    assert api_as(Role.EXECUTIVE).get("/api/planning/accuracy/?source=nope").status_code == 400


def test_capacity_plan_over_the_api(api_as):
    wc = WorkCenterFactory(code="CAP-API")
    product = ProductFactory()
    RoutingStepFactory(product=product, work_center=wc, hours_per_unit=Decimal("1"))
    ConsensusFactory(product=product, month=date(2026, 3, 1), quantity=Decimal("220"))  # 10 h a working day

    response = api_as(Role.SCHEDULER).get("/api/planning/capacity/?start=2026-03-04&weeks=2")

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["code"] == "CAP-API"
    assert [(w["week"], w["load_hours"], w["available_hours"], w["overloaded"]) for w in row["weeks"]] == [
        ("2026-W10", "50.00", "40.00", True),
        ("2026-W11", "50.00", "40.00", True),
    ]
    assert api_as(Role.SCHEDULER).get("/api/planning/capacity/?weeks=0").status_code == 400
    assert api_as(Role.SCHEDULER).get("/api/planning/capacity/?start=soon").status_code == 400
    assert api_as(Role.SALES_REP).get("/api/planning/capacity/").status_code == 403


def test_the_schema_documents_the_planning_api(api_as):
    response = api_as(Role.EXECUTIVE).get("/api/schema/")
    assert response.status_code == 200 and b"/api/planning/consensus/sign-off/" in response.content
    assert Consensus.objects.count() == 0
