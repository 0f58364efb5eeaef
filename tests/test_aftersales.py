"""Post-sales service: warranty, tickets timed by service level, visits by skill, maintenance
plans, visit reports whose feedback reaches the sales rep; pages and API."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import selectors, services
from aftersales.models import MaintenancePlan, Skill, Technician, Ticket, Visit, WarrantyTerm
from orders.errors import ValidationFailed
from orders.models import Handoff, OrderEvent
from orders.roles import Department, Role
from orders.states import OrderStatus

from .factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def delivered_line(*, days_ago=10, product=None, customer=None):
    order = OrderFactory(status=OrderStatus.DELIVERED, **({"customer": customer} if customer else {}))
    line = OrderLineFactory(
        order=order, line_no=1, quantity_shipped=Decimal("10"), **({"product": product} if product else {})
    )
    OrderEvent.objects.create(
        order=order,
        action="deliver",
        from_status="shipped",
        to_status="delivered",
        created_at=timezone.now() - timedelta(days=days_ago),
    )
    return line


@pytest.fixture
def technician(user_with):
    def make(*skills, **kwargs):
        tech = Technician.objects.create(user=user_with(Role.FIELD_SERVICE, **kwargs))
        tech.skills.set(Skill.objects.filter(code__in=skills))
        return tech

    return make


def test_warranty_from_delivery_and_the_product_or_family_terms():
    family_product = ProductFactory(family="pumps")
    WarrantyTerm.objects.create(family="pumps", months=24)
    own = ProductFactory(family="pumps")
    WarrantyTerm.objects.create(product=own, months=6)
    today = timezone.localdate()

    in_family = selectors.warranty_check(order_line=delivered_line(days_ago=400, product=family_product), today=today)
    out_own = selectors.warranty_check(order_line=delivered_line(days_ago=200, product=own), today=today)
    default_in = selectors.warranty_check(order_line=delivered_line(days_ago=300), today=today)
    default_out = selectors.warranty_check(order_line=delivered_line(days_ago=400), today=today)

    assert (in_family.status, in_family.months) == (Ticket.Warranty.IN, 24)
    assert (out_own.status, out_own.months) == (Ticket.Warranty.OUT, 6)
    assert (default_in.status, default_out.status) == (Ticket.Warranty.IN, Ticket.Warranty.OUT)  # 12 months default
    undelivered = OrderLineFactory(order=OrderFactory(status=OrderStatus.ACCEPTED), line_no=1)
    assert selectors.warranty_check(order_line=undelivered).status == Ticket.Warranty.UNKNOWN


def test_a_ticket_is_timed_by_its_kind_and_priority_and_checks_warranty(user_with):
    service = user_with(Role.CUSTOMER_SERVICE)
    line = delivered_line(days_ago=500)

    ticket = services.ticket_create(
        customer=line.order.customer, order_line=line, kind="repair", priority="urgent", subject="Leaks", user=service
    )

    assert ticket.warranty == Ticket.Warranty.OUT and ticket.order == line.order
    assert ticket.due_at - ticket.created_at == timedelta(hours=6)  # repair 24 h, urgent a quarter
    handoff = Handoff.objects.get(kind=ticket.handoff_kind)
    assert (handoff.to_department, handoff.due_at - handoff.opened_at) == (Department.SERVICE, timedelta(hours=6))
    with pytest.raises(ValidationFailed):
        services.ticket_create(customer=CustomerFactory(), order_line=line, kind="repair", subject="x", user=service)


def test_visits_go_to_technicians_with_the_skill(user_with, technician):
    service = user_with(Role.CUSTOMER_SERVICE)
    ticket = services.ticket_create(customer=CustomerFactory(), kind="installation", subject="New line", user=service)
    fitter, trainer = technician("installation"), technician("training")

    with pytest.raises(ValidationFailed) as error:
        services.visit_schedule(
            ticket_id=ticket.pk, technician=trainer, scheduled_for=timezone.localdate(), user=service
        )
    assert "installation skill" in error.value.field_errors["technician"][0]
    visit = services.visit_schedule(
        ticket_id=ticket.pk, technician=fitter, scheduled_for=timezone.localdate(), user=service
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SCHEDULED and visit.technician == fitter
    assert list(selectors.technicians_for("installation")) == [fitter]


def test_maintenance_plans_generate_visits_on_schedule_and_a_rerun_adds_none(user_with, technician):
    tech = technician("maintenance")
    today = date(2026, 3, 1)
    plan = services.maintenance_plan_create(
        customer=CustomerFactory(),
        description="Quarterly service",
        interval_days=14,
        start_date=date(2026, 2, 20),
        technician=tech,
        user=user_with(Role.CUSTOMER_SERVICE),
    )
    services.maintenance_plan_create(
        customer=CustomerFactory(), description="Far future", interval_days=7, start_date=date(2027, 1, 1), user=None
    )

    created = services.maintenance_visits_generate(today=today, horizon_days=30)
    again = services.maintenance_visits_generate(today=today, horizon_days=30)
    later = services.maintenance_visits_generate(today=today + timedelta(days=14), horizon_days=30)

    dates = list(Visit.objects.filter(plan=plan).values_list("scheduled_for", flat=True))
    assert (created, again, later) == (3, 0, 1)
    assert dates == [date(2026, 2, 20), date(2026, 3, 6), date(2026, 3, 20), date(2026, 4, 3)]
    assert set(Visit.objects.filter(plan=plan).values_list("technician", "kind")) == {(tech.pk, "maintenance")}
    assert MaintenancePlan.objects.get(pk=plan.pk).generated_until == date(2026, 4, 14)


def test_feedback_reaches_the_sales_rep_by_handoff_and_on_the_customer_page(user_with, technician, client):
    rep = user_with(Role.SALES_REP)
    customer = CustomerFactory(sales_rep=rep)
    line = delivered_line(customer=customer)
    service = user_with(Role.CUSTOMER_SERVICE)
    tech = technician("repair")
    ticket = services.ticket_create(customer=customer, order_line=line, kind="repair", subject="Noise", user=service)
    visit = services.visit_schedule(
        ticket_id=ticket.pk, technician=tech, scheduled_for=timezone.localdate(), user=service
    )

    report = services.visit_report_file(
        visit_id=visit.pk,
        user=tech.user,
        hours=Decimal("2.5"),
        work_done="Replaced bearing",
        feedback="Plans a second plant next year",
        tags=["wants larger size", "competitor visit"],
        parts=[(ProductFactory(sku="BRG-1"), Decimal("2"))],
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert Handoff.objects.get(kind=ticket.handoff_kind).closed_at is not None
    feedback = Handoff.objects.get(kind=f"feedback:{visit.pk}")
    assert (feedback.order, feedback.to_department, feedback.closed_at) == (line.order, Department.SALES, None)
    assert "competitor visit" in feedback.subject
    client.force_login(rep)
    page = client.get(f"/orders/customers/{customer.pk}/")
    html = page.content.decode()
    assert 'data-testid="service-feedback"' in html and "Plans a second plant next year" in html
    assert "wants larger size" in html
    assert "Plans a second plant" in client.get("/aftersales/feedback/").content.decode()

    client.post(f"/aftersales/feedback/{report.pk}/seen/")

    feedback.refresh_from_db()
    assert feedback.closed_at is not None
    with pytest.raises(Exception, match="filed"):
        services.visit_report_file(visit_id=visit.pk, user=tech.user, hours=Decimal("1"), work_done="again")


# --- API and pages ---------------------------------------------------------------------------


def test_api_tickets_visits_reports_roles_and_bad_input(api_as, technician):
    line = delivered_line(days_ago=30)
    cs, field = api_as(Role.CUSTOMER_SERVICE), api_as(Role.FIELD_SERVICE)
    body = {"customer": line.order.customer_id, "order_line": line.pk, "kind": "repair", "subject": "Broken"}

    assert field.post("/api/aftersales/tickets/", body, format="json").status_code == 403
    bad = cs.post("/api/aftersales/tickets/", {**body, "kind": "magic", "subject": ""}, format="json")
    assert bad.status_code == 400 and {"kind", "subject"} <= set(bad.json())
    created = cs.post("/api/aftersales/tickets/", body, format="json")
    assert created.status_code == 201 and created.json()["warranty"] == "in"
    ticket_id = created.json()["id"]
    tech = Technician.objects.create(user=field.user)
    tech.skills.set(Skill.objects.filter(code="repair"))
    visit = cs.post(
        f"/api/aftersales/tickets/{ticket_id}/visits/",
        {"technician": tech.pk, "scheduled_for": str(timezone.localdate())},
        format="json",
    )
    assert visit.status_code == 201
    url = f"/api/aftersales/visits/{visit.json()['id']}/report/"
    assert cs.post(url, {"hours": "1", "work_done": "x"}, format="json").status_code == 403
    assert field.post(url, {"hours": "-1", "work_done": ""}, format="json").status_code == 400
    filed = field.post(url, {"hours": "1.5", "work_done": "Fixed", "tags": ["competitor visit"]}, format="json")
    assert filed.status_code == 201 and filed.json()["tags"] == ["competitor visit"]
    assert field.post(url, {"hours": "1.5", "work_done": "Fixed"}, format="json").status_code == 409
    assert api_as(Role.SALES_REP).get("/api/aftersales/feedback/").status_code == 200
    assert api_as(Role.WAREHOUSE).get("/api/aftersales/tickets/").status_code == 403
    warranty = cs.get(f"/api/aftersales/warranty/?order_line={line.pk}").json()
    assert (warranty["status"], warranty["months"]) == ("in", 12)
    assert cs.get("/api/aftersales/warranty/?order_line=x").status_code == 400


def test_pages_paged_with_empty_states_role_checks_and_form_errors(client, user_with, technician):
    client.force_login(user_with(Role.CUSTOMER_SERVICE))
    assert "No tickets match." in client.get("/aftersales/").content.decode()
    assert "No maintenance plans yet." in client.get("/aftersales/plans/").content.decode()
    customer = CustomerFactory()
    bad = client.post("/aftersales/tickets/new/", {"customer": customer.pk, "kind": "repair", "subject": ""})
    assert bad.status_code == 400 and "Please correct the errors below." in bad.content.decode()
    ok = client.post(
        "/aftersales/tickets/new/",
        {"customer": customer.pk, "kind": "training", "priority": "normal", "subject": "Operators"},
    )
    ticket = Ticket.objects.get()
    assert ok.status_code == 302 and ok.url == f"/aftersales/tickets/{ticket.pk}/"
    assert "No active technician has the training skill" in client.get(ok.url).content.decode()
    plan = client.post(
        "/aftersales/plans/",
        {
            "customer": customer.code,
            "description": "Yearly",
            "interval_days": "365",
            "start_date": str(timezone.localdate()),
        },
    )
    assert plan.status_code == 302 and Visit.objects.filter(plan__customer=customer).count() == 1
    assert client.post("/aftersales/plans/", {"customer": "NOPE"}).status_code == 400

    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/aftersales/").status_code == 403
    client.force_login(user_with(Role.SALES_REP))
    assert client.get("/aftersales/tickets/new/").status_code == 403
    assert "No feedback yet." in client.get("/aftersales/feedback/").content.decode()
    tech = technician("training")
    client.force_login(tech.user)
    assert "No visits for you." in client.get("/aftersales/visits/").content.decode()
