"""Order statuses and THE table of allowed moves.

`orders.services.order_transition` is the only code that changes an order's
status, and it allows exactly the moves listed in TRANSITIONS. docs/states.md is
generated from this module (`python manage.py states_doc`).
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy

from .roles import Department, Role


class OrderStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")  # being written by sales; not yet an order the company committed to
    QUOTED = "quoted", gettext_lazy("Quoted")  # a priced quote has gone to the customer
    ENTERED = "entered", gettext_lazy("Entered")  # submitted; waits in the review board's selection queue
    ON_HOLD = "on_hold", gettext_lazy("On hold")  # stopped by finance or customer service (e.g. credit) with a reason
    ACCEPTED = "accepted", gettext_lazy("Accepted")  # the board took it; production or the warehouse plans it
    REJECTED = "rejected", gettext_lazy("Rejected")  # the board declined it, with a reason (final)
    SCHEDULED = "scheduled", gettext_lazy("Scheduled")  # its jobs are placed on the planning board
    IN_PRODUCTION = "in_production", gettext_lazy("In production")  # work has started on the shop floor
    READY_TO_SHIP = "ready_to_ship", gettext_lazy("Ready to ship")  # goods are available; the warehouse picks and packs
    PARTIALLY_SHIPPED = "partially_shipped", gettext_lazy("Partially shipped")  # some lines or quantities have left
    SHIPPED = "shipped", gettext_lazy("Shipped")  # everything ordered has left the site
    DELIVERED = "delivered", gettext_lazy("Delivered")  # the customer received the goods
    INVOICED = "invoiced", gettext_lazy("Invoiced")  # every shipped quantity is invoiced; waiting for payment
    PAID = "paid", gettext_lazy("Paid")  # the invoices are settled
    CLOSED = "closed", gettext_lazy("Closed")  # nothing left to do (final)
    CANCELLED = "cancelled", gettext_lazy("Cancelled")  # withdrawn before shipping, with a reason (final)


S = OrderStatus

FINAL_STATUSES = frozenset({S.REJECTED, S.CLOSED, S.CANCELLED})

# The department that must act next while an order sits in each status.
OWNER_DEPARTMENT = {
    S.DRAFT: Department.SALES,
    S.QUOTED: Department.SALES,
    S.ENTERED: Department.MANAGEMENT,
    S.ON_HOLD: Department.FINANCE,
    S.ACCEPTED: Department.OPERATIONS,
    S.REJECTED: Department.SALES,
    S.SCHEDULED: Department.OPERATIONS,
    S.IN_PRODUCTION: Department.OPERATIONS,
    S.READY_TO_SHIP: Department.LOGISTICS,
    S.PARTIALLY_SHIPPED: Department.LOGISTICS,
    S.SHIPPED: Department.FINANCE,
    S.DELIVERED: Department.FINANCE,
    S.INVOICED: Department.FINANCE,
    S.PAID: Department.FINANCE,
    S.CLOSED: Department.FINANCE,
    S.CANCELLED: Department.SALES,
}


class Step(models.TextChoices):
    """The ten steps of the order management cycle."""

    PLANNING = "planning", gettext_lazy("1. Order planning")
    GENERATION = "generation", gettext_lazy("2. Order generation")
    PRICING = "pricing", gettext_lazy("3. Cost estimation and pricing")
    ENTRY = "entry", gettext_lazy("4. Order receipt and entry")
    SELECTION = "selection", gettext_lazy("5. Selection and prioritization")
    SCHEDULING = "scheduling", gettext_lazy("6. Scheduling")
    FULFILLMENT = "fulfillment", gettext_lazy("7. Fulfillment")
    BILLING = "billing", gettext_lazy("8. Billing")
    RETURNS = "returns", gettext_lazy("9. Returns and claims")
    AFTERSALES = "aftersales", gettext_lazy("10. Post-sales service")


# The step an order is in while it sits in each status. Planning happens before
# any order exists; returns and after-sales run beside the order's own status.
STATUS_STEP = {
    S.DRAFT: Step.GENERATION,
    S.QUOTED: Step.PRICING,
    S.ENTERED: Step.SELECTION,
    S.ON_HOLD: Step.ENTRY,
    S.ACCEPTED: Step.SCHEDULING,
    S.REJECTED: Step.SELECTION,
    S.SCHEDULED: Step.SCHEDULING,
    S.IN_PRODUCTION: Step.SCHEDULING,
    S.READY_TO_SHIP: Step.FULFILLMENT,
    S.PARTIALLY_SHIPPED: Step.FULFILLMENT,
    S.SHIPPED: Step.BILLING,
    S.DELIVERED: Step.BILLING,
    S.INVOICED: Step.BILLING,
    S.PAID: Step.BILLING,
    S.CLOSED: Step.BILLING,
    S.CANCELLED: Step.GENERATION,
}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset
    target: OrderStatus
    roles: frozenset
    guard: str = ""  # name of a guard function in orders.guards
    note_required: bool = False
    description: str = ""
    # Filled in for `ship`, whose target depends on what has left the site.
    alternative_target: OrderStatus | None = field(default=None)


def _t(action, label, sources, target, roles, **kwargs):
    return Transition(action, label, frozenset(sources), target, frozenset(roles), **kwargs)


R = Role
BEFORE_SHIPPING = (
    S.DRAFT,
    S.QUOTED,
    S.ENTERED,
    S.ON_HOLD,
    S.ACCEPTED,
    S.SCHEDULED,
    S.IN_PRODUCTION,
    S.READY_TO_SHIP,
)

TRANSITIONS = {
    t.action: t
    for t in [
        _t(
            "quote",
            gettext_lazy("Send quote"),
            [S.DRAFT],
            S.QUOTED,
            [R.SALES_REP, R.ESTIMATOR],
            guard="lines_priced",
            description=gettext_lazy("A priced quote goes to the customer."),
        ),
        _t(
            "submit",
            gettext_lazy("Submit order"),
            [S.DRAFT, S.QUOTED],
            S.ENTERED,
            [R.SALES_REP, R.CUSTOMER_SERVICE],
            guard="lines_priced",
            description=gettext_lazy("The customer ordered; the order joins the review queue."),
        ),
        _t(
            "hold",
            gettext_lazy("Put on hold"),
            [S.ENTERED],
            S.ON_HOLD,
            [R.FINANCE, R.CUSTOMER_SERVICE],
            note_required=True,
            description=gettext_lazy("Stops the order (credit, missing data) with the reason given."),
        ),
        _t(
            "release",
            gettext_lazy("Release hold"),
            [S.ON_HOLD],
            S.ENTERED,
            [R.FINANCE, R.CUSTOMER_SERVICE],
            note_required=True,
            description=gettext_lazy("Returns the order to the review queue with a note."),
        ),
        _t(
            "accept",
            gettext_lazy("Accept"),
            [S.ENTERED],
            S.ACCEPTED,
            [R.REVIEW_BOARD],
            guard="lines_priced",
            description=gettext_lazy("The board takes the order."),
        ),
        _t(
            "reject",
            gettext_lazy("Reject"),
            [S.ENTERED],
            S.REJECTED,
            [R.REVIEW_BOARD],
            note_required=True,
            description=gettext_lazy("The board declines the order, with a reason."),
        ),
        _t(
            "schedule",
            gettext_lazy("Schedule"),
            [S.ACCEPTED],
            S.SCHEDULED,
            [R.SCHEDULER],
            description=gettext_lazy("Its jobs are placed on the planning board."),
        ),
        _t("start", gettext_lazy("Start production"), [S.SCHEDULED], S.IN_PRODUCTION, [R.SCHEDULER]),
        _t(
            "mark_ready",
            gettext_lazy("Mark ready to ship"),
            [S.IN_PRODUCTION, S.ACCEPTED],
            S.READY_TO_SHIP,
            [R.SCHEDULER, R.WAREHOUSE],
            description=gettext_lazy("From production, or straight from stock once accepted."),
        ),
        _t(
            "ship",
            gettext_lazy("Ship"),
            [S.READY_TO_SHIP, S.PARTIALLY_SHIPPED],
            S.SHIPPED,
            [R.WAREHOUSE],
            guard="something_shipped",
            alternative_target=S.PARTIALLY_SHIPPED,
            description=gettext_lazy("Shipped when every ordered quantity has left, otherwise partially shipped."),
        ),
        _t("deliver", gettext_lazy("Confirm delivery"), [S.SHIPPED], S.DELIVERED, [R.WAREHOUSE]),
        _t(
            "invoice",
            gettext_lazy("Invoice"),
            [S.SHIPPED, S.DELIVERED],
            S.INVOICED,
            [R.FINANCE],
            guard="invoiceable",
            description=gettext_lazy("Only shipped quantities are billed."),
        ),
        _t("record_payment", gettext_lazy("Record payment"), [S.INVOICED], S.PAID, [R.FINANCE]),
        _t("close", gettext_lazy("Close"), [S.PAID], S.CLOSED, [R.FINANCE]),
        _t(
            "cancel",
            gettext_lazy("Cancel"),
            BEFORE_SHIPPING,
            S.CANCELLED,
            [R.SALES_REP, R.CUSTOMER_SERVICE],
            guard="nothing_shipped",
            note_required=True,
            description=gettext_lazy("Withdraws an order before anything has shipped, with a reason."),
        ),
    ]
}


def transitions_from(status) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
