"""The capped paginator of long lists (orders.pagination) and the navigation's alert badge:
the same rows as Django's paginator on every page, a count that stops at the cap, a fixed
number of queries whatever the page."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import context_processors, pagination, selectors, services
from orders.pagination import CappedPaginator
from orders.roles import Role
from orders.states import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, user_with):
    def as_role(*roles):
        user = user_with(*roles)
        client.force_login(user)
        return client

    return as_role


@pytest.fixture
def twelve_orders(order_in):
    return [order_in(OrderStatus.CLOSED) for _ in range(12)]


def test_under_the_cap_it_is_django_s_paginator(twelve_orders):
    page = CappedPaginator(selectors.order_list(), 5, cap=100).get_page(2)
    assert page.paginator.count == 12 and not page.paginator.count_capped
    assert page.paginator.num_pages == 3 and page.has_next() and page.has_previous()


@pytest.mark.parametrize("deferred_from", [0, 10_000])  # keys first on every page, or never
def test_every_page_holds_the_rows_of_django_s_paginator(twelve_orders, overdue_handoff, monkeypatch, deferred_from):
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_FROM", deferred_from)
    overdue_handoff(hours_late=1)  # one overdue order: the list's annotation must survive
    exact = Paginator(selectors.order_list(), 2)
    seen = []
    for number in exact.page_range:
        capped = CappedPaginator(selectors.order_list(), 2, cap=3).get_page(number)
        rows = list(capped.object_list)
        assert [o.pk for o in rows] == [o.pk for o in exact.page(number).object_list]
        assert [o.is_overdue for o in rows] == [o.is_overdue for o in exact.page(number).object_list]
        assert capped.has_next() == (number < exact.num_pages)
        seen.extend(rows)
    assert len(seen) == 13 and sum(o.is_overdue for o in seen) == 1


def test_beyond_the_cap_it_counts_what_it_needs(twelve_orders):
    first = CappedPaginator(selectors.order_list(), 2, cap=5).get_page(1)
    assert first.paginator.count_capped and first.paginator.count == 5  # "more than 5"
    assert first.has_next() and not first.has_previous()
    deep = CappedPaginator(selectors.order_list(), 2, cap=5).get_page(4)  # rows 7-8 of 12
    assert deep.number == 4 and deep.paginator.count_capped and deep.paginator.count == 8 and deep.has_next()
    last = CappedPaginator(selectors.order_list(), 2, cap=5).get_page(6)  # the count reached the end
    assert not last.paginator.count_capped and last.paginator.count == 12 and not last.has_next()
    past = CappedPaginator(selectors.order_list(), 2, cap=5).get_page(999)  # past the end: the last page
    assert past.number == 6 and not past.paginator.count_capped
    assert CappedPaginator(selectors.order_list(), 2, cap=5).get_page("x").number == 1
    assert CappedPaginator(selectors.order_list(), 2, cap=5).get_page(10**30).number == 6


def test_filtered_and_searched_lists_page_alike(twelve_orders, order_in, monkeypatch):
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_FROM", 0)
    found = [order_in(OrderStatus.CLOSED, customer_po=f"PO-PAGE-{n}") for n in range(5)]
    page = CappedPaginator(selectors.order_list(status="closed", search="po-page"), 2, cap=2).get_page(3)
    assert [o.pk for o in page.object_list] == [found[0].pk] and not page.has_next()


def test_a_plain_list_is_counted_exactly():
    page = CappedPaginator(list(range(30)), 10, cap=5).get_page(2)
    assert page.paginator.count == 30 and not page.paginator.count_capped and list(page.object_list)[0] == 10


def test_queries_do_not_grow_with_the_page_number(twelve_orders, monkeypatch):
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_FROM", 4)
    counts = []
    for number in (1, 3, 5):  # offset 0, 4 (keys first), 8 (keys first)
        with CaptureQueriesContext(connection) as ctx:
            list(CappedPaginator(selectors.order_list(), 2, cap=5).get_page(number).object_list)
        counts.append(len(ctx.captured_queries))
    assert counts == [2, 2, 2]  # the capped count, the page


def test_the_order_list_says_more_than_and_still_pages(login, twelve_orders, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    monkeypatch.setattr("orders.views.PAGE_SIZE", 2)
    client = login(Role.EXECUTIVE)
    html = client.get("/orders/").content.decode()
    assert "Page 1 · more than 5 in all" in html and 'rel="next"' in html and " of " not in html.split("Page 1")[1][:8]
    html = client.get("/orders/?page=6").content.decode()
    assert "Page 6 of 6 · 12 in all" in html and 'rel="prev"' in html and 'rel="next"' not in html


def test_the_review_queue_pages_past_the_cap(login, order_in, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 20)
    for _ in range(26):
        order_in(OrderStatus.ENTERED)
    client = login(Role.REVIEW_BOARD)
    first = client.get("/orders/review/")
    assert first.context["page"].paginator.count_capped and "Page 1 · more than 25 in all" in first.content.decode()
    second = client.get("/orders/review/?page=2")
    assert len(second.context["page"].object_list) == 1 and "Page 2 of 2 · 26 in all" in second.content.decode()


def test_the_alert_badge_stops_counting_at_99(login, overdue_handoff, monkeypatch):
    client = login(Role.REVIEW_BOARD)
    for _ in range(3):
        overdue_handoff(hours_late=1)
    services.handoffs_scan_overdue()
    assert 'data-testid="alert-count">3<' in client.get("/orders/").content.decode()
    monkeypatch.setattr(context_processors, "NAV_ALERTS_AT_MOST", 2)
    assert 'data-testid="alert-count">2+<' in client.get("/orders/").content.decode()
    # the alert list itself still shows them all
    assert client.get("/orders/alerts/").context["page"].paginator.count == 3
