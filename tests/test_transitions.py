"""The transition table, exhaustively: every (status, action) pair, every role."""

from decimal import Decimal

import pytest

from orders import services
from orders.errors import ActionNotPermitted, GuardFailed, InvalidTransition
from orders.models import Handoff, Order, OrderEvent, OutboxMessage
from orders.roles import ROLE_DEPARTMENT, Role
from orders.states import TRANSITIONS, OrderStatus

ALL_PAIRS = [(status, action) for status in OrderStatus for action in TRANSITIONS]
ALLOWED = [(s, a) for s, a in ALL_PAIRS if s in TRANSITIONS[a].sources]
DISALLOWED = [(s, a) for s, a in ALL_PAIRS if s not in TRANSITIONS[a].sources]
FORBIDDEN_ROLES = [(a, role) for a, t in TRANSITIONS.items() for role in Role if role not in t.roles]

pytestmark = pytest.mark.django_db


def _shipped_for(status, action):
    """Line quantities that satisfy the action's guard, as the step apps would have recorded them."""
    if action in ("ship", "invoice") or status in (OrderStatus.PARTIALLY_SHIPPED,):
        return Decimal("10")
    return Decimal("0")


def _allowed_role(action):
    return next(role for role in Role if role in TRANSITIONS[action].roles)


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=[f"{s.value}-{a}" for s, a in ALLOWED])
def test_every_allowed_move_succeeds_and_records_its_event(status, action, order_in, user_with):
    # given an order in `status` and a user whose role may make the move
    order = order_in(status, shipped=_shipped_for(status, action))
    role = _allowed_role(action)
    actor = user_with(role)

    # when
    services.order_transition(order_id=order.pk, action=action, actor=actor, note="because")

    # then the status is the table's target and one event says who, as what, from where to where
    order.refresh_from_db()
    assert order.status == TRANSITIONS[action].target
    event = OrderEvent.objects.get(order=order)
    assert (event.action, event.from_status, event.to_status) == (action, status, order.status)
    assert (event.actor, event.role, event.department) == (actor, role, ROLE_DEPARTMENT[role])
    assert event.note == "because"


@pytest.mark.parametrize(("status", "action"), DISALLOWED, ids=[f"{s.value}-{a}" for s, a in DISALLOWED])
def test_every_disallowed_move_is_refused_and_changes_nothing(
    status, action, order_in, user_with, django_capture_on_commit_callbacks
):
    order = order_in(status, shipped=Decimal("10"))
    actor = user_with(_allowed_role(action))

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidTransition) as error:
        services.order_transition(order_id=order.pk, action=action, actor=actor, note="because")

    order.refresh_from_db()
    assert order.status == status
    assert not OrderEvent.objects.filter(order=order).exists()
    assert not Handoff.objects.filter(order=order).exists()
    assert not OutboxMessage.objects.exists()
    assert callbacks == []
    assert action not in error.value.allowed_actions


@pytest.mark.parametrize(("action", "role"), FORBIDDEN_ROLES, ids=[f"{a}-{r.value}" for a, r in FORBIDDEN_ROLES])
def test_every_role_without_the_right_is_refused(action, role, order_in, user_with):
    status = next(s for s in OrderStatus if s in TRANSITIONS[action].sources)
    order = order_in(status, shipped=_shipped_for(status, action))

    with pytest.raises(ActionNotPermitted):
        services.order_transition(order_id=order.pk, action=action, actor=user_with(role), note="because")

    assert Order.objects.get(pk=order.pk).status == status
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize("action", [a for a, t in TRANSITIONS.items() if t.note_required])
def test_a_move_that_needs_a_reason_is_refused_without_one(action, order_in, user_with):
    status = next(s for s in OrderStatus if s in TRANSITIONS[action].sources)
    order = order_in(status)

    with pytest.raises(GuardFailed) as error:
        services.order_transition(order_id=order.pk, action=action, actor=user_with(_allowed_role(action)), note="  ")

    assert "note" in error.value.field_errors
    assert Order.objects.get(pk=order.pk).status == status


def test_an_order_with_unpriced_lines_cannot_be_submitted(order_in, user_with):
    order = order_in(OrderStatus.DRAFT)
    order.lines.filter(line_no=2).update(unit_price=None)

    with pytest.raises(GuardFailed, match="without an agreed price: 2"):
        services.order_transition(order_id=order.pk, action="submit", actor=user_with(Role.SALES_REP))


def test_shipping_part_of_an_order_makes_it_partially_shipped_then_shipped(order_in, user_with):
    order = order_in(OrderStatus.READY_TO_SHIP)
    warehouse = user_with(Role.WAREHOUSE)
    order.lines.filter(line_no=1).update(quantity_shipped=Decimal("10"))

    services.order_transition(order_id=order.pk, action="ship", actor=warehouse)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_SHIPPED

    order.lines.filter(line_no=2).update(quantity_shipped=Decimal("10"))
    services.order_transition(order_id=order.pk, action="ship", actor=warehouse)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_nothing_shipped_means_no_ship_and_no_invoice(order_in, user_with):
    ready = order_in(OrderStatus.READY_TO_SHIP)
    with pytest.raises(GuardFailed, match="Nothing has been shipped"):
        services.order_transition(order_id=ready.pk, action="ship", actor=user_with(Role.WAREHOUSE))


def test_an_order_with_goods_on_the_road_cannot_be_cancelled(order_in, user_with):
    order = order_in(OrderStatus.READY_TO_SHIP, shipped=Decimal("1"))
    with pytest.raises(GuardFailed, match="no longer be cancelled"):
        services.order_transition(order_id=order.pk, action="cancel", actor=user_with(Role.SALES_REP), note="x")


def test_hold_records_the_reason_and_release_clears_it(order_in, user_with):
    order = order_in(OrderStatus.ENTERED)
    finance = user_with(Role.FINANCE)

    services.order_transition(order_id=order.pk, action="hold", actor=finance, note="Over credit limit")
    assert Order.objects.get(pk=order.pk).hold_reason == "Over credit limit"

    services.order_transition(order_id=order.pk, action="release", actor=finance, note="Paid")
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (OrderStatus.ENTERED, "")


def test_allowed_actions_depend_on_status_and_role(order_in, user_with):
    order = order_in(OrderStatus.ENTERED)
    board, sales = user_with(Role.REVIEW_BOARD), user_with(Role.SALES_REP)

    assert [t.action for t in services.order_allowed_transitions(order=order, user=board)] == ["accept", "reject"]
    assert [t.action for t in services.order_allowed_transitions(order=order, user=sales)] == ["cancel"]


def test_the_system_may_move_an_order_without_a_role(order_in):
    order = order_in(OrderStatus.INVOICED)

    services.order_transition(order_id=order.pk, action="record_payment", actor=None, note="Paid by bank transfer")

    event = OrderEvent.objects.get(order=order)
    assert (event.actor, event.role, event.to_status) == (None, "", OrderStatus.PAID)
