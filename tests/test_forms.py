"""Every page form rejects bad input with a message the user sees, and never a 500.

One row per form (grep `forms.Form` and the hand-parsed entry forms): the role that uses it, the
page it posts to, and bad input. The answer (following any redirect) must be a page or fragment
with an error message, in a 200 or 400."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.roles import Role

from .test_role_matrix import world  # noqa: F401 - the module-scoped world of real objects

R = Role
FORMS = [
    # (form, role, URL name, URL kwargs (world object names or literals), bad input)
    (
        "OrderActionForm",
        R.SALES_REP,
        "orders:order_action",
        {"order_id": "order", "action": "submit"},
        {"note": "x" * 2001},
    ),
    (
        "order header",
        R.CUSTOMER_SERVICE,
        "orders:order_header_save",
        {"order_id": "order"},
        {"requested_date": "31/12/2026"},
    ),
    (
        "order line add",
        R.CUSTOMER_SERVICE,
        "orders:order_line_add",
        {"order_id": "order"},
        {"sku": "NO-SUCH-SKU", "quantity": "-3"},
    ),
    (
        "order line update",
        R.CUSTOMER_SERVICE,
        "orders:order_line_update",
        {"order_id": "order", "line_no": "line"},
        {"quantity": "abc"},
    ),
    ("priority weights", R.EXECUTIVE, "orders:priority_settings", {}, {"value": "abc", "urgency": "-5"}),
    (
        "GridCellForm",
        R.SALES_REP,
        "planning:forecast_grid_save",
        {"source": "sales"},
        {"product": "x", "month": "2026-13", "quantity": "-1"},
    ),
    ("ConsensusSetForm", R.DEMAND_PLANNER, "planning:consensus_set", {}, {"month": "bad", "quantity": "x"}),
    ("SignOffForm", R.SCHEDULER, "planning:consensus_sign_off", {}, {"month": "bad"}),
    ("ForecastImportForm", R.SALES_REP, "planning:forecast_import", {"source": "sales"}, {}),
    (
        "line discount",
        R.SALES_REP,
        "pricing:order_line_discount",
        {"order_id": "order"},
        {"line_no": "x", "discount_percent": "y"},
    ),
    ("quote validity", R.SALES_REP, "pricing:quote_send", {"order_id": "order"}, {"valid_days": "abc"}),
    (
        "ExpediteRequestForm",
        R.SALES_REP,
        "scheduling:expedite_create",
        {},
        {"order": "order", "needed_by": "not-a-date", "reason": ""},
    ),
    (
        "ExpediteDecisionForm",
        R.SCHEDULER,
        "scheduling:expedite_decline",
        {"request_id": "expedite"},
        {"reason": "x" * 501},
    ),
    ("CapacityExceptionForm", R.SCHEDULER, "scheduling:calendar_set", {}, {"day": "x", "kind": "zzz"}),
    ("JobStepForm", R.SCHEDULER, "scheduling:job_start", {"job_id": "job"}, {"version": "abc"}),
    ("StockReceiveForm", R.WAREHOUSE, "fulfillment:stock_receive", {}, {"sku": "", "quantity": "-1"}),
    ("StockAdjustForm", R.WAREHOUSE, "fulfillment:stock_adjust", {}, {"sku": "", "quantity": "x"}),
    ("ShipmentStartForm", R.WAREHOUSE, "fulfillment:shipment_start", {}, {"order": "x"}),
    (
        "ShipmentPackForm",
        R.WAREHOUSE,
        "fulfillment:shipment_pack",
        {"shipment_id": "shipment"},
        {"packages": "0", "weight_kg": "-1"},
    ),
    (
        "ShipmentShipForm",
        R.WAREHOUSE,
        "fulfillment:shipment_ship",
        {"shipment_id": "shipment"},
        {"carrier": "", "ship_date": "x"},
    ),
    (
        "ShipmentDeliverForm",
        R.WAREHOUSE,
        "fulfillment:shipment_deliver",
        {"shipment_id": "shipment"},
        {"delivered_at": "x"},
    ),
    ("InvoiceEditForm", R.FINANCE, "billing:invoice_edit", {"invoice_id": "invoice"}, {"reason": ""}),
    ("QuestionForm", R.FINANCE, "billing:invoice_query", {"invoice_id": "invoice"}, {"question": ""}),
    ("AnswerForm", R.CUSTOMER_SERVICE, "billing:invoice_answer", {"invoice_id": "invoice"}, {"answer": ""}),
    ("ReasonForm (cancel)", R.FINANCE, "billing:invoice_cancel", {"invoice_id": "invoice"}, {"reason": ""}),
    ("CreditNoteForm", R.FINANCE, "billing:credit_note_issue", {"invoice_id": "invoice"}, {"reason": ""}),
    (
        "PaymentForm",
        R.FINANCE,
        "billing:payment_record",
        {},
        {"customer": "", "amount": "-5", "currency": "XXX", "received_on": "x"},
    ),
    (
        "RmaCreateForm",
        R.CUSTOMER_SERVICE,
        "returns:rma_create",
        {},
        {"customer": "customer", "reason": "zzz", "resolution": "zzz"},
    ),
    ("RMA without a customer", R.CUSTOMER_SERVICE, "returns:rma_create", {}, {"reason": "damaged"}),
    ("PolicyForm", R.CUSTOMER_SERVICE, "returns:policy_update", {}, {"days_since_delivery": "-1"}),
    ("ReasonForm (RMA reject)", R.CUSTOMER_SERVICE, "returns:rma_reject", {"rma_id": "rma"}, {"reason": ""}),
    ("RmaReceiveForm", R.WAREHOUSE, "returns:rma_receive", {"rma_id": "rma"}, {"site": "x"}),
    (
        "ClaimForm",
        R.CUSTOMER_SERVICE,
        "returns:claim_create",
        {"order_id": "order"},
        {"invoice_id": "0", "kind": "zzz", "description": ""},
    ),
    ("ReasonForm (claim reject)", R.CUSTOMER_SERVICE, "returns:claim_reject", {"claim_id": "claim"}, {"reason": ""}),
    (
        "TicketForm",
        R.CUSTOMER_SERVICE,
        "aftersales:ticket_create",
        {},
        {"customer": "customer", "kind": "zzz", "subject": ""},
    ),
    ("ticket without a customer", R.CUSTOMER_SERVICE, "aftersales:ticket_create", {}, {"subject": "broken"}),
    (
        "VisitScheduleForm",
        R.CUSTOMER_SERVICE,
        "aftersales:visit_schedule",
        {"ticket_id": "ticket"},
        {"technician": "", "scheduled_for": "x"},
    ),
    (
        "VisitReportForm",
        R.FIELD_SERVICE,
        "aftersales:visit_detail",
        {"visit_id": "visit"},
        {"hours": "0", "work_done": ""},
    ),
    ("PlanForm", R.CUSTOMER_SERVICE, "aftersales:plan_list", {}, {"customer": "", "interval_days": "0"}),
    ("KpiTargetsForm", R.EXECUTIVE, "dashboard:targets", {}, {"fill_rate": "abc"}),
]
# A message (messages framework), an inline field error, or an API-style JSON error for htmx/fetch.
ERROR_MARKER = re.compile(r'class="[^"]*\b(msg-error|error|errorlist)\b|role="alert"|^\{"(detail|errors)"')


@pytest.mark.django_db
@pytest.mark.parametrize(("form", "role", "name", "kwargs", "data"), FORMS, ids=[row[0] for row in FORMS])
def test_bad_input_gets_a_message_never_a_500(world, form, role, name, kwargs, data):  # noqa: F811
    client = Client()
    client.force_login(world["users"][role.value])
    url = reverse(name, kwargs={key: world.get(value, value) for key, value in kwargs.items()})
    data = {key: world.get(value, value) if isinstance(value, str) else value for key, value in data.items()}

    response = client.post(url, data, follow=True)

    assert response.status_code in (200, 400), f"{form}: {response.status_code}"
    body = response.content.decode()
    assert ERROR_MARKER.search(body), f"{form}: no error message on {response.request['PATH_INFO']}"
