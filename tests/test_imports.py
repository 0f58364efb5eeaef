"""Price list CSV import: all or nothing, with a line-numbered report of every bad row.
(The forecast CSV import has the same contract: tests/test_planning_pages.py::test_csv_import_*.)"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.roles import Role
from pricing.models import PriceList, PriceListItem

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def price_list():
    price_list = PriceList.objects.create(name="Standard", currency="EUR", valid_from=date(2026, 1, 1))
    PriceListItem.objects.create(
        price_list=price_list, product=ProductFactory(sku="A-1"), min_quantity=Decimal("1"), unit_price=Decimal("10")
    )
    ProductFactory(sku="B-2")
    return price_list


@pytest.fixture
def estimator(client, user_with):
    client.force_login(user_with(Role.ESTIMATOR))
    return client


def _upload(client, price_list, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/pricing/price-lists/{price_list.pk}/import/", {"file": SimpleUploadedFile("prices.csv", data)}
    )


def _prices(price_list):
    return sorted(price_list.items.values_list("product__sku", "min_quantity", "unit_price"))


def test_a_good_file_adds_and_replaces_prices(estimator, price_list):
    response = _upload(estimator, price_list, "sku,min_quantity,unit_price\nA-1,1,9.50\nB-2,1,20\nB-2,100,18.75\n")

    assert response.status_code == 302
    assert _prices(price_list) == [
        ("A-1", Decimal("1.000"), Decimal("9.50")),
        ("B-2", Decimal("1.000"), Decimal("20.00")),
        ("B-2", Decimal("100.000"), Decimal("18.75")),
    ]
    page = estimator.get(response.url).content.decode()
    assert "Imported 3 rows: 3 prices added or changed." in page


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_line(estimator, price_list):
    before = _prices(price_list)
    text = (
        "sku,min_quantity,unit_price\n"
        "B-2,1,20\n"  # line 2: fine, but nothing may be imported
        "A-1,1,-3\n"  # line 3: negative price
        "NOPE,1,5\n"  # line 4: unknown SKU
        ",1,5\n"  # line 5: no SKU
        "B-2,0,5\n"  # line 6: minimum quantity 0
        "B-2,1,7\n"  # line 7: same break as line 2
        "A-1,1,1.234\n"  # line 8: three decimals
    )

    response = _upload(estimator, price_list, text)

    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported: 6 problems in 7 rows" in body
    errors = response.context["result"].errors
    assert [line for line, _, _ in errors] == [3, 4, 5, 6, 7, 8]
    assert "Same SKU and minimum quantity as line 2." in body
    assert _prices(price_list) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not utf-8", "not UTF-8"),
        ("product,price\nA-1,5\n", "The first line must be the header"),
    ],
)
def test_a_file_that_is_not_the_format_is_refused_at_line_1(estimator, price_list, content, message):
    before = _prices(price_list)
    response = _upload(estimator, price_list, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["result"].errors[0][0] == 1
    assert _prices(price_list) == before


def test_no_file_is_an_error_and_only_estimators_import(estimator, price_list, client, user_with):
    response = estimator.post(f"/pricing/price-lists/{price_list.pk}/import/", {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()

    client.force_login(user_with(Role.SALES_REP))
    assert client.get(f"/pricing/price-lists/{price_list.pk}/import/").status_code == 403
