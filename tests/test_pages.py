"""Server-rendered pages: login, roles, lists that page and never grow N+1 queries, actions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order, OrderEvent
from orders.roles import Role
from orders.states import OrderStatus

from .factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, user_with):
    def as_role(*roles):
        user = user_with(*roles)
        client.force_login(user)
        client.user = user
        return client

    return as_role


@pytest.mark.parametrize("url", ["/orders/", "/orders/1/", "/orders/queue/", "/orders/alerts/"])
def test_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


def test_login_page_logs_in_and_rejects_bad_passwords(client, user_with):
    user = user_with(Role.SALES_REP)
    bad = client.post("/login/", {"username": user.username, "password": "nope"})
    assert bad.status_code == 200 and b"did not match" in bad.content
    good = client.post("/login/", {"username": user.username, "password": "pw-for-tests"})
    assert good.status_code == 302 and good.url == reverse("orders:home")


def test_a_user_without_a_role_gets_403(login):
    client = login()
    assert client.get("/orders/").status_code == 403


def test_navigation_follows_the_role(login):
    client = login(Role.WAREHOUSE)
    html = client.get("/orders/").content.decode()
    assert "My queue" in html and "Warehouse" in html and ">Admin<" not in html


def test_order_list_pages_and_filters(login, order_in):
    client = login(Role.EXECUTIVE)
    for _ in range(30):
        order_in(OrderStatus.ENTERED)
    held = order_in(OrderStatus.ON_HOLD, customer_po="PO-FIND-ME")

    first = client.get("/orders/")
    assert first.context["page"].paginator.count == 31 and len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get("/orders/?page=2").context["page"].object_list) == 6
    assert client.get("/orders/?page=999").context["page"].number == 2  # past the end shows the last page

    filtered = client.get("/orders/", {"status": "on_hold"})
    assert [o.pk for o in filtered.context["page"].object_list] == [held.pk]
    assert [o.pk for o in client.get("/orders/", {"q": "FIND-ME"}).context["page"].object_list] == [held.pk]
    empty = client.get("/orders/", {"status": "closed"})
    assert "No orders match these filters." in empty.content.decode()
    assert client.get("/orders/", {"status": "bogus"}).status_code == 200  # ignored, not a 500


def test_order_list_query_count_does_not_grow_with_orders(login, order_in, django_assert_max_num_queries):
    client = login(Role.EXECUTIVE)
    for _ in range(5):
        order_in(OrderStatus.ENTERED)
    with django_assert_max_num_queries(8) as small:
        client.get("/orders/")
    for _ in range(20):
        order_in(OrderStatus.ENTERED)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/orders/")


def test_order_detail_query_count_is_fixed(login, order_in, django_assert_max_num_queries, user_with):
    client = login(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.DRAFT)
    for line_no in range(3, 13):
        OrderLineFactory(order=order, line_no=line_no)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    with django_assert_max_num_queries(60) as twelve_lines:
        response = client.get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    for line_no in range(13, 43):
        OrderLineFactory(order=order, line_no=line_no)
    # the step apps' panels add a fixed number of queries: thirty more lines add none
    with django_assert_max_num_queries(len(twelve_lines.captured_queries)):
        client.get(f"/orders/{order.pk}/")


def test_order_detail_shows_lines_total_actions_and_journey(login, order_in, user_with):
    client = login(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    html = client.get(f"/orders/{order.pk}/").content.decode()

    assert order.number in html
    assert "EUR 2,000.00" in html  # two lines of 10 x 100.00
    assert 'data-action="accept"' in html and 'data-action="reject"' in html
    assert 'data-action="ship"' not in html
    assert "5. Selection and prioritization" in html and "Senior management" in html
    assert "Acknowledge" in html


def test_an_action_button_moves_the_order_and_says_so(login, order_in):
    client = login(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.ENTERED)

    response = client.post(f"/orders/{order.pk}/actions/accept/", {"note": ""}, follow=True)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED
    assert f"Order {order.number} is now accepted." in response.content.decode()


def test_an_illegal_or_incomplete_action_is_a_message_not_a_500(login, order_in):
    client = login(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.ENTERED)

    no_reason = client.post(f"/orders/{order.pk}/actions/reject/", {"note": ""}, follow=True)
    assert "A reason is required." in no_reason.content.decode()
    illegal = client.post(f"/orders/{order.pk}/actions/schedule/", {}, follow=True)
    assert "may not schedule" in illegal.content.decode()
    unknown = client.post(f"/orders/{order.pk}/actions/teleport/", {}, follow=True)
    assert "There is no action" in unknown.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ENTERED
    assert not OrderEvent.objects.filter(order=order).exists()


def test_actions_need_post_and_csrf(client, user_with, order_in):
    from django.test import Client

    order = order_in(OrderStatus.ENTERED)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user_with(Role.REVIEW_BOARD))
    assert strict.get(f"/orders/{order.pk}/actions/accept/").status_code == 405
    assert strict.post(f"/orders/{order.pk}/actions/accept/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ENTERED


def test_missing_orders_are_404(login):
    client = login(Role.EXECUTIVE)
    assert client.get("/orders/424242/").status_code == 404
    assert client.post("/orders/424242/actions/accept/").status_code == 404


def test_queue_lists_handoffs_to_my_department(login, order_in, user_with):
    client = login(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))

    assert order.number in client.get("/orders/queue/").content.decode()
    other = login(Role.WAREHOUSE)
    assert "Nothing waits for your department" in other.get("/orders/queue/").content.decode()


def test_acknowledging_from_the_page(login, order_in, user_with):
    client = login(Role.REVIEW_BOARD)
    order = order_in(OrderStatus.DRAFT)
    services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))
    handoff = order.handoffs.get()

    response = client.post(f"/orders/handoffs/{handoff.pk}/acknowledge/", follow=True)

    assert "You acknowledged order" in response.content.decode()
    handoff.refresh_from_db()
    assert handoff.acknowledged_by == client.user


def test_alerts_page_and_badge(login, overdue_handoff):
    client = login(Role.REVIEW_BOARD)
    order = overdue_handoff(hours_late=1).order
    services.handoffs_scan_overdue()

    html = client.get("/orders/alerts/").content.decode()
    assert order.number in html and "Overdue" in html
    assert 'data-testid="alert-count">1<' in html


def test_order_money_is_rounded_once_per_line(login):
    client = login(Role.EXECUTIVE)
    order = OrderFactory()
    OrderLineFactory(
        order=order,
        line_no=1,
        quantity_ordered=Decimal("3"),
        unit_price=Decimal("0.35"),
        discount_percent=Decimal("50"),
    )
    OrderLineFactory(
        order=order,
        line_no=2,
        quantity_ordered=Decimal("1"),
        unit_price=Decimal("0.01"),
        discount_percent=Decimal("50"),
    )
    html = client.get(f"/orders/{order.pk}/").content.decode()
    # 0.525 rounds half up to 0.53 and 0.005 to 0.01; the total adds the rounded lines
    assert "EUR 0.54" in html


def test_sales_reps_start_on_what_to_sell_now(client, user_with):
    from decimal import Decimal

    from fulfillment import services as fulfillment

    from .factories import ProductFactory, SiteFactory

    product = ProductFactory(sku="READY-1")
    fulfillment.stock_receive(
        product=product, site=SiteFactory(name="Site B"), quantity=Decimal("7"), user=user_with(Role.WAREHOUSE)
    )
    client.force_login(user_with(Role.SALES_REP))

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == "/orders/sell-now/"
    html = response.content.decode()
    assert "READY-1" in html and "Site B" in html and "today" in html


def test_my_customers_with_open_orders_credit_and_invoices(client, user_with, order_in):
    from .factories import CustomerFactory

    rep = user_with(Role.SALES_REP)
    mine = CustomerFactory(name="Mine Ltd", sales_rep=rep, credit_limit=Decimal("1500.00"))
    CustomerFactory(name="Theirs Ltd")
    order_in(OrderStatus.ENTERED, customer=mine)  # 2 lines x 10 x 100.00
    order_in(OrderStatus.CLOSED, customer=mine)
    client.force_login(rep)

    listing = client.get("/orders/customers/").content.decode()
    assert "Mine Ltd" in listing and "Theirs Ltd" not in listing
    assert "Theirs Ltd" in client.get("/orders/customers/?all=1").content.decode()
    page = client.get(f"/orders/customers/{mine.pk}/").content.decode()
    assert "EUR 2,000.00" in page and "EUR -500.00" in page  # exposure over the credit limit
    assert 'data-testid="customer-invoices"' in page
    assert client.get("/orders/customers/999999/").status_code == 404
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/orders/customers/").status_code == 403
