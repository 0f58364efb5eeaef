"""Every URL pattern x method x role gets the answer tests/role_matrix.csv says.

test_every_endpoint_has_rows fails for a new URL (or a new method on an API view) with no row,
and prints the rows to add; test_row requests each row as anonymous and as every role, on a
small world of real objects (one of each kind the URLs take)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import Handoff, Order, WorkCenter
from orders.roles import CUSTOMER_GROUP, Role
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, UserFactory
from .role_matrix import FIXED_COLUMNS, LOGIN, MATRIX, endpoints, read

HEADER, ROWS = read()
ROLE_COLUMNS = [column for column in HEADER if column not in FIXED_COLUMNS]
# Columns for users that are not a `Role`: the customer portal's contact (the `customer` group with
# a portal.CustomerContact; docs/portal.md), who must get 403 from every internal page.
CONTACT_COLUMN = CUSTOMER_GROUP
NON_ROLE_COLUMNS = {CONTACT_COLUMN}


def test_the_matrix_has_a_column_for_every_role():
    missing = [role.value for role in Role if role.value not in ROLE_COLUMNS]
    unknown = [column for column in ROLE_COLUMNS if column not in {role.value for role in Role} | NON_ROLE_COLUMNS]
    assert CONTACT_COLUMN in ROLE_COLUMNS, f"{MATRIX.name} has no `{CONTACT_COLUMN}` column (the portal contact)"
    assert not missing, (
        f"{MATRIX.name} has no column for the role(s) {missing}. Add one with "
        f"`.venv/bin/python -m tests.role_matrix add-role ROLE 403` and set the cells that are not 403."
    )
    assert not unknown, f"{MATRIX.name} has columns for roles that no longer exist: {unknown}"


def test_every_endpoint_has_rows_and_every_row_an_endpoint():
    listed = {(row.name, row.method) for row in ROWS}
    wanted = {(endpoint.name, method): endpoint for endpoint in endpoints() for method in endpoint.methods}
    missing = sorted(set(wanted) - listed)
    hint = "\n".join(
        f"{name},{method},{' '.join(f'{a}=?' for a in _route_args(wanted[name, method].route))},"
        + ",".join("?" for _ in range(1 + len(ROLE_COLUMNS)))
        for name, method in missing
    )
    assert not missing, (
        f"{len(missing)} endpoint/method(s) have no row in tests/{MATRIX.name}. Add these rows, with the "
        f"status each role must get (anonymous: `login` for pages, 401 for the API; a role without "
        f"access: 403), and name the objects for the URL's arguments (see WORLD in "
        f"tests/test_role_matrix.py):\n{hint}"
    )
    stale = sorted(listed - set(wanted))
    assert not stale, f"Rows in tests/{MATRIX.name} for endpoints that no longer exist: {stale}"


def _route_args(route: str) -> list[str]:
    """The argument names of a route: <int:order_id> in paths, (?P<pk>...) in router regexes."""
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)]


# --- the world: one object of each kind the URLs take -----------------------------------------


def _build_world() -> dict:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from aftersales.models import Technician, Ticket, TicketKind, Visit, VisitReport
    from billing.models import Invoice
    from fulfillment.models import Shipment
    from portal import services as portal_services
    from pricing.models import CustomerPrice, Discount, PriceApproval, PriceList, Quote
    from returns.models import Claim, ReturnAuthorization
    from scheduling.models import CapacityException, ExpediteRequest, Job

    quiet = open("/dev/null", "w")  # noqa: SIM115
    call_command("seed_demo", orders=40, seed=11, stdout=quiet)
    call_command("scheduling_demo", stdout=quiet)
    # The demo's codes (C00001...) must not meet the factories' in later tests of the same module.
    CustomerFactory.reset_sequence(50_000)
    ProductFactory.reset_sequence(50_000)
    now = timezone.now()
    users = {role.value: UserFactory(roles=[role], username=f"matrix-{role.value}") for role in Role}
    order = Order.objects.filter(status=OrderStatus.DRAFT).order_by("pk").first()
    # The sales rep in the matrix is this customer's rep (another rep's customer: test_object_access).
    order.customer.sales_rep = users[Role.SALES_REP.value]
    order.customer.save(update_fields=["sales_rep"])
    line = order.lines.order_by("line_no").first()
    customer = order.customer
    other = Order.objects.exclude(pk=order.pk).order_by("pk").first()
    handoff = Handoff.objects.filter(closed_at__isnull=True).order_by("pk").first()
    # A job on the shop floor (started): start/unschedule are 409, finish is allowed. Chosen by
    # state, not by the seed's first row, so a change to the demo seed does not move the answers.
    job = Job.objects.filter(state=Job.State.STARTED).order_by("pk").first()
    invoice = Invoice.objects.create(
        customer=customer, order=order, currency=order.currency, created_at=now, source_key="matrix"
    )
    shipment = Shipment.objects.create(number="SH-MATRIX", order=order, site=_site(), created_at=now)
    rma = ReturnAuthorization.objects.create(
        number="RMA-MATRIX",
        customer=customer,
        reason=ReturnAuthorization.Reason.choices[0][0],
        resolution=ReturnAuthorization.Resolution.choices[0][0],
        created_at=now,
    )
    claim = Claim.objects.create(
        number="CL-MATRIX",
        customer=customer,
        order=order,
        invoice_id=invoice.pk,
        kind=Claim.Kind.choices[0][0],
        description="matrix",
        created_at=now,
    )
    ticket = Ticket.objects.create(
        number="TK-MATRIX",
        customer=customer,
        kind=TicketKind.choices[0][0],
        subject="matrix",
        due_at=now + timedelta(days=1),
        created_at=now,
    )
    technician = Technician.objects.create(user=users[Role.FIELD_SERVICE.value])
    visit = Visit.objects.create(
        customer=customer,
        ticket=ticket,
        kind=ticket.kind,
        technician=technician,
        scheduled_for=now.date(),
        created_at=now,
    )
    reported = Visit.objects.create(
        customer=customer, kind=ticket.kind, technician=technician, scheduled_for=now.date(), created_at=now
    )
    report = VisitReport.objects.create(visit=reported, hours=Decimal("1"), work_done="matrix", created_at=now)
    approval = PriceApproval.objects.create(order=order, requested_at=now, fingerprint="matrix")
    quote = Quote.objects.create(
        order=other, number="Q-MATRIX", valid_until=now.date() + timedelta(days=30), sent_at=now
    )
    price_list = PriceList.objects.create(name="Matrix", currency="EUR", valid_from=date(2026, 1, 1))
    # A price for every product of the draft in its own currency, so pricing it (an allowed
    # write) succeeds whatever currency the seed gave the order.
    prices = [
        CustomerPrice.objects.create(
            customer=customer,
            product_id=product_id,
            currency=order.currency,
            unit_price=Decimal("90"),
            valid_from=date(2026, 1, 1),
        )
        for product_id in sorted(set(order.lines.values_list("product_id", flat=True)))
    ]
    customer_price = next(price for price in prices if price.product_id == line.product_id)
    discount = Discount.objects.create(customer=customer, percent=Decimal("5"), valid_from=date(2026, 1, 1))
    expedite = ExpediteRequest.objects.create(
        order=order,
        customer=customer,
        requested_by=users[Role.SALES_REP.value],
        needed_by=now.date() + timedelta(days=7),
        reason="matrix",
        created_at=now,
    )
    exception = CapacityException.objects.create(
        work_center=WorkCenter.objects.order_by("pk").first(),
        day=now.date() + timedelta(days=3),
        kind=CapacityException.Kind.choices[0][0],
        created_at=now,
    )
    # The customer portal: a contact of the world's customer (logged in for the `customer` column),
    # one of its non-draft orders with a posted invoice, and an invited contact (no password yet)
    # for the deactivate page and the public set-password link (uidb64 + one-time token).
    contact = portal_services.contact_create(
        customer=customer, username="matrix-customer", email="buyer@matrix.test", password="pw-for-tests"
    )
    users[CONTACT_COLUMN] = contact.user
    invited = portal_services.contact_create(
        customer=customer, username="matrix-invited", email="invited@matrix.test", password=None
    )
    portal_order = OrderFactory(customer=customer, status=OrderStatus.ACCEPTED, promised_date=now.date())
    OrderLineFactory(order=portal_order, line_no=1, product_id=line.product_id)
    posted = Invoice.objects.create(
        customer=customer,
        order=portal_order,
        currency=portal_order.currency,
        status=Invoice.Status.POSTED,
        number="INV-MATRIX",
        issue_date=now.date(),
        due_date=now.date() + timedelta(days=30),
        total=Decimal("100.00"),
        created_at=now,
        posted_at=now,
        source_key="matrix-posted",
    )
    return {
        "users": users,
        # URL argument values by the names the matrix's kwargs column uses
        "order": order.pk,
        "line": line.line_no,
        "customer": customer.pk,
        "product": line.product_id,
        "handoff": handoff.pk,
        "invoice": invoice.pk,
        "shipment": shipment.pk,
        "rma": rma.pk,
        "claim": claim.pk,
        "ticket": ticket.pk,
        "visit": visit.pk,
        "report": report.pk,
        "approval": approval.pk,
        "quote": quote.pk,
        "price_list": price_list.pk,
        "job": job.pk,
        "expedite": expedite.pk,
        "exception": exception.pk,
        "customer_price": customer_price.pk,
        "discount": discount.pk,
        "month": now.strftime("%Y-%m"),
        "portal_order": portal_order.pk,
        "posted_invoice": posted.pk,
        "contact": invited.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(invited.user.pk)),
        "token": default_token_generator.make_token(invited.user),
    }


def _site():
    from orders.models import Site

    return Site.objects.order_by("pk").first()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test
    runs in a savepoint inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _url(row, world) -> str:
    endpoint = next(e for e in endpoints() if e.name == row.name)
    if ":" in row.name or not row.name.startswith("/"):
        kwargs = {key: world.get(value, value) for key, value in row.kwargs.items()}
        return reverse(row.name, kwargs=kwargs)
    return "/" + endpoint.route


def _answer(response) -> str:
    if response.status_code == 302 and response.url.split("?")[0] in ("/login/", reverse("login")):
        return LOGIN
    return str(response.status_code)


def _request(client, method, url, is_api):
    """One request whose writes are rolled back, so each role meets the same world."""
    with transaction.atomic():
        if is_api:
            response = getattr(client, method.lower())(
                url, data={} if method != "GET" else None, content_type="application/json"
            )
        else:
            response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


API_NAMES = {e.name for e in endpoints() if e.is_api}


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_row(row, world):
    url = _url(row, world)
    got = {"anonymous": _answer(_request(Client(), row.method, url, row.name in API_NAMES))}
    for role in ROLE_COLUMNS:
        client = Client()
        client.force_login(world["users"][role])
        got[role] = _answer(_request(client, row.method, url, row.name in API_NAMES))
    wrong = {who: f"expected {row.expected[who]}, got {got[who]}" for who in got if got[who] != row.expected[who]}
    assert not wrong, f"{row.method} {url}: {wrong}"
