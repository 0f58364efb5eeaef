"""Invariants several test files check."""

from orders.models import OrderEvent
from orders.states import TRANSITIONS


def event_log_violations(order_ids=None) -> list[str]:
    """Every event's from -> to must be a move of the transition table, and each event must start
    where the order's previous event ended."""
    problems = []
    last_to = {}
    events = OrderEvent.objects.order_by("order_id", "id")
    if order_ids is not None:
        events = events.filter(order_id__in=order_ids)
    for event in events:
        if event.action == "create":
            last_to[event.order_id] = event.to_status
            continue
        transition = TRANSITIONS.get(event.action)
        targets = {transition.target, transition.alternative_target} if transition else set()
        if transition is None or event.from_status not in transition.sources or event.to_status not in targets:
            problems.append(f"{event.order_id}: {event.action} {event.from_status}->{event.to_status} is not a move")
        previous = last_to.get(event.order_id)
        if previous is not None and previous != event.from_status:
            problems.append(f"{event.order_id}: {event.action} starts at {event.from_status}, last ended {previous}")
        last_to[event.order_id] = event.to_status
    return problems
