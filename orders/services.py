"""Every write to the shared order records.

`order_transition` is the only function that changes `Order.status`.
"""

import logging
import time
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail, send_mass_mail
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from structlog.contextvars import bound_contextvars, get_contextvars

from . import facts, guards, memo, outbox, providers, reference, selectors, waits
from .errors import ActionNotPermitted, GuardFailed, InvalidTransition, UnknownAction, ValidationFailed
from .models import (
    Alert,
    Customer,
    DepartmentSetting,
    Handoff,
    IdempotencyRecord,
    NumberSequence,
    Order,
    OrderEvent,
    OrderFact,
    OrderLine,
    OutboxMessage,
    OutboxReceipt,
    PromiseChange,
    TaskFailure,
)
from .roles import ROLE_DEPARTMENT, Department, Role, user_roles
from .states import FINAL_STATUSES, OWNER_DEPARTMENT, STATUS_STEP, TRANSITIONS, OrderStatus, transitions_from

logger = logging.getLogger(__name__)
# The audit log (omc.audit's request-id filter adds the request id to each record).
audit_logger = logging.getLogger("omc.audit")

TOPIC_HANDOFF_OPENED = "handoff.opened"


# --- numbers -------------------------------------------------------------------------------


def number_reserve(*, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of a sequence; returns the first. Gap-free while
    the calling transaction commits (the counter row is locked until then). One statement
    (UPDATE ... RETURNING), in the caller's transaction without a savepoint; a new sequence's row
    is created on its first use."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    sql = f"UPDATE {table} SET last_value = last_value + %s WHERE name = %s RETURNING last_value"
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [count, name])
        row = cursor.fetchone()
        if row is None:
            NumberSequence.objects.get_or_create(name=name)
            cursor.execute(sql, [count, name])
            row = cursor.fetchone()
    return row[0] - count + 1


def order_number_format(value: int) -> str:
    return f"SO-{value:07d}"


# --- orders --------------------------------------------------------------------------------


def order_create(
    *,
    customer: Customer,
    lines: list[dict],
    created_by,
    customer_po: str = "",
    requested_date=None,
    site=None,
) -> Order:
    """Create a draft order with its lines and its creation event.

    Each line is {"product": Product, "quantity": Decimal, optional "unit_price",
    "discount_percent"}; the price defaults to the product's list price. The order
    takes the customer's currency. Raises ValidationFailed for an inactive customer
    or product (the API validates shapes before calling this).
    """
    if not customer.active:
        raise ValidationFailed(
            _("The customer is inactive."), field_errors={"customer": [_("This customer is inactive.")]}
        )
    inactive = [line["product"].sku for line in lines if not line["product"].active]
    if inactive:
        raise ValidationFailed(
            _("Inactive products."),
            field_errors={"lines": [_("Inactive products: %(inactive)s.") % {"inactive": ", ".join(inactive)}]},
        )
    now = timezone.now()
    role = _first_role(created_by)
    with transaction.atomic():
        number = order_number_format(number_reserve(name="order"))
        order = Order.objects.create(
            number=number,
            customer=customer,
            customer_po=customer_po,
            requested_date=requested_date,
            currency=customer.currency,
            site=site,
            status=OrderStatus.DRAFT,
            owner_department=OWNER_DEPARTMENT[OrderStatus.DRAFT],
            status_changed_at=now,
            created_by=created_by,
            created_at=now,
        )
        prices = lines_price(customer=customer, lines=lines, currency=customer.currency)
        OrderLine.objects.bulk_create(
            order_line_build(
                order=order,
                line_no=index,
                product=line["product"],
                quantity=line["quantity"],
                unit_price=line.get("unit_price") if price is None else price[0],
                discount_percent=line.get("discount_percent")
                if price is None or line.get("discount_percent") is not None
                else price[1],
            )
            for index, (line, price) in enumerate(zip(lines, prices, strict=True), start=1)
        )
        order_facts_refresh(order_ids=[order.pk])
        OrderEvent.objects.create(
            order=order,
            action="create",
            from_status="",
            to_status=OrderStatus.DRAFT,
            actor=created_by,
            role=role or "",
            department=ROLE_DEPARTMENT[role] if role else "",
            created_at=now,
        )
    return order


def line_price(*, customer: Customer, product, quantity: Decimal, currency: str) -> tuple[Decimal, Decimal, str]:
    """Unit price, discount and where they came from: the pricing app's lists when it can price
    the product (providers "price"), else the product's list price."""
    for provider in providers.providers("price"):
        found = provider(customer, product, quantity, currency)
        if found is not None:
            return found
    return product.list_price, Decimal("0"), "product list price"


def lines_price(*, customer: Customer, lines: list[dict], currency: str) -> list:
    """For each line without a given unit price, (unit_price, discount, source) from the first
    batch price provider (providers "prices") that knows it, else None (order_line_build then
    asks line_price): a new order's lines priced in one call instead of one per line."""
    wanted = [index for index, line in enumerate(lines) if line.get("unit_price") is None]
    found: list = [None] * len(lines)
    for provider in providers.providers("prices"):
        missing = [index for index in wanted if found[index] is None]
        if not missing:
            break
        answers = provider(customer, [(lines[i]["product"], lines[i]["quantity"]) for i in missing], currency)
        for index, answer in zip(missing, answers, strict=True):
            found[index] = answer
    return found


def order_line_build(
    *, order: Order, line_no: int, product, quantity: Decimal, unit_price=None, discount_percent=None
) -> OrderLine:
    """A new line at the price the customer gets today unless one is given."""
    if unit_price is None:
        unit_price, default_discount, _source = line_price(
            customer=order.customer, product=product, quantity=quantity, currency=order.currency
        )
        discount_percent = default_discount if discount_percent is None else discount_percent
    return OrderLine(
        order=order,
        line_no=line_no,
        product=product,
        quantity_ordered=quantity,
        unit_price=unit_price,
        discount_percent=discount_percent or Decimal("0"),
    )


def _locked_draft(order_id: int) -> Order:
    order = Order.objects.select_for_update().select_related("customer").get(pk=order_id)
    if order.status != OrderStatus.DRAFT:
        raise InvalidTransition(
            _("Order %(number)s is %(lower)s: only drafts are edited.")
            % {"number": order.number, "lower": order.get_status_display().lower()},
            allowed_actions=[],
        )
    return order


def order_header_update(*, order_id: int, customer_po: str, requested_date) -> Order:
    """Save a draft's PO number and requested date as they are typed."""
    with transaction.atomic():
        order = _locked_draft(order_id)
        order.customer_po, order.requested_date = customer_po.strip(), requested_date
        order.save(update_fields=["customer_po", "requested_date", "updated_at"])
    return order


def order_line_add(*, order_id: int, product, quantity: Decimal) -> OrderLine:
    """Add a line to a draft at the customer's price of today (the pricing app's lists)."""
    if not product.active:
        raise ValidationFailed(
            _("Inactive product."),
            field_errors={"product": [_("%(sku)s is not sold any more.") % {"sku": product.sku}]},
        )
    with transaction.atomic():
        order = _locked_draft(order_id)
        last = order.lines.order_by("-line_no").values_list("line_no", flat=True).first() or 0
        line = order_line_build(order=order, line_no=last + 1, product=product, quantity=quantity)
        line.save()
        order_facts_refresh(order_ids=[order.pk])
    return line


def order_line_update(
    *, order_id: int, line_no: int, quantity: Decimal, discount_percent: Decimal | None = None
) -> OrderLine:
    """Change a draft line's quantity (re-priced for quantity breaks) and, when given, its discount."""
    with transaction.atomic():
        order = _locked_draft(order_id)
        line = order.lines.select_related("product").filter(line_no=line_no).first()
        if line is None:
            raise ValidationFailed(
                _("No such line."),
                field_errors={"line_no": [_("The order has no line %(line_no)s.") % {"line_no": line_no}]},
            )
        repriced = order_line_build(order=order, line_no=line_no, product=line.product, quantity=quantity)
        line.quantity_ordered, line.unit_price = quantity, repriced.unit_price
        if discount_percent is not None:
            line.discount_percent = discount_percent
        line.save(update_fields=["quantity_ordered", "unit_price", "discount_percent"])
        order_facts_refresh(order_ids=[order.pk])
    return line


def order_line_remove(*, order_id: int, line_no: int) -> None:
    with transaction.atomic():
        order = _locked_draft(order_id)
        order.lines.filter(line_no=line_no).delete()
        order_facts_refresh(order_ids=[order.pk])


def _first_role(user, allowed=None):
    roles = user_roles(user)
    if allowed is not None:
        roles = roles & allowed
    return next((role for role in Role if role in roles), None)


def order_transition(*, order_id: int, action: str, actor, note: str = "", data: dict | None = None) -> Order:
    """Move an order by `action`, the only way its status changes.

    In one transaction: locks the order row, checks the action exists (UnknownAction),
    the actor holds a role allowed to make it (ActionNotPermitted), the current
    status allows it (InvalidTransition, with the actions that are allowed), a
    required note is given and the business guard holds (GuardFailed); then writes
    the status, an OrderEvent, closes/opens hand-offs and queues the outbox work,
    which is published only after commit. On any error nothing is written.
    `actor=None` is the system itself (Celery hand-offs): no role check. `data` (JSON) is kept
    on the event and handed to the departments that react to the move.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise UnknownAction(_("There is no action '%(action)s'.") % {"action": action})
    role = None
    if actor is not None:
        role = _first_role(actor, transition.roles)
        if role is None:
            raise ActionNotPermitted(_("Your role may not %(lower)s an order.") % {"lower": transition.label.lower()})
    note = (note or "").strip()

    # One memo for the move (orders.memo): its guards and reactions share the lines, routings,
    # cost estimate and capacity they read.
    with memo.scope(), transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order_id)
        if order.status not in transition.sources:
            allowed = [t.action for t in order_allowed_transitions(order=order, user=actor)]
            raise InvalidTransition(
                _("Order %(number)s is %(lower)s: '%(action)s' is not allowed from there.")
                % {"number": order.number, "lower": order.get_status_display().lower(), "action": action},
                allowed_actions=allowed,
            )
        if transition.note_required and not note:
            raise GuardFailed(_("A reason is required."), field_errors={"note": [_("Give a reason for this action.")]})
        if guards.any_for(action, transition.guard):
            lines = selectors.order_lines(order)
            errors = guards.errors_for(action, transition.guard, order, lines)
            if errors:
                raise GuardFailed(" ".join(msg for msgs in errors.values() for msg in msgs), field_errors=errors)

        target = transition.target
        if transition.alternative_target and not guards.everything_shipped(selectors.order_lines(order)):
            target = transition.alternative_target

        now = timezone.now()
        from_status = order.status
        from_owner = order.owner_department
        department = ROLE_DEPARTMENT[role] if role else ""
        order.status = target
        order.owner_department = OWNER_DEPARTMENT[target]
        order.status_changed_at = now
        update_fields = ["status", "owner_department", "status_changed_at", "updated_at"]
        if action == "hold":
            order.hold_reason = note
            update_fields.append("hold_reason")
        elif action == "release":
            order.hold_reason = ""
            update_fields.append("hold_reason")
        order.save(update_fields=update_fields)
        # The status the order leaves ends now (the dashboard's time per step).
        OrderEvent.objects.filter(order=order, ended_at__isnull=True).update(ended_at=now)
        event = OrderEvent.objects.create(
            order=order,
            action=action,
            from_status=from_status,
            to_status=target,
            actor=actor,
            role=role or "",
            department=department,
            note=note,
            data=data or {},
            created_at=now,
        )
        # The move's outbox messages (the new hand-off's notice, then the move's own topic) are
        # written in one INSERT and published by one callback, unless reactions come between.
        messages = []
        opened = _handoffs_after_move(order=order, from_owner=from_owner, actor_department=department, now=now)
        if opened is not None:
            messages.append(_outbox_message(topic=TOPIC_HANDOFF_OPENED, order=order, payload={"handoff_id": opened.pk}))
        reactions = _reactions.get(action, ())
        if reactions and messages:
            _outbox_write(messages)  # before the reactions' own messages, as they happened
            messages = []
        for reaction in reactions:
            reaction(order=order, actor=actor)  # a reaction that changes the order keeps `order` current
        order_facts_refresh(order_ids=[order.pk])
        topic = f"order.{action}"
        if outbox.has_handlers(topic):
            payload = {"event_id": event.pk, "to_status": target, "data": data or {}}
            messages.append(_outbox_message(topic=topic, order=order, payload=payload))
        _outbox_write(messages)
    _audit_transition(actor=actor, order_number=order.number, action=action, from_status=from_status, to=target)
    return order


# --- promised date changes ------------------------------------------------------------------

TOPIC_PROMISE_CHANGED = "order.promise_changed"
PROMISE_CHANGERS = frozenset({Role.SALES_REP, Role.CUSTOMER_SERVICE, Role.SCHEDULER})
# A promise can move while the order is promised and not everything has left.
PROMISE_CHANGEABLE = frozenset(
    {
        OrderStatus.ENTERED,
        OrderStatus.ON_HOLD,
        OrderStatus.ACCEPTED,
        OrderStatus.SCHEDULED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.READY_TO_SHIP,
        OrderStatus.PARTIALLY_SHIPPED,
    }
)


def order_promise_change(*, order_id: int, new_date, reason: str, actor, customer_reason: str = "") -> PromiseChange:
    """Move an order's promised date, keeping the change (old and new date, the internal reason,
    and the reason shared with the customer, if any). Sales, customer service and the scheduler
    may do it while the order is promised and not fully shipped (409 otherwise); a reason is
    required. After commit the customer's contacts may be told ("order.promise_changed")."""
    if actor is not None and _first_role(actor, PROMISE_CHANGERS) is None:
        raise ActionNotPermitted("Your role may not change a promised date.")
    reason, customer_reason = (reason or "").strip(), (customer_reason or "").strip()
    if not reason:
        raise GuardFailed("A reason is required.", field_errors={"reason": ["Say why the date moves."]})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status not in PROMISE_CHANGEABLE:
            raise InvalidTransition(
                f"Order {order.number} is {order.get_status_display().lower()}: its promised date cannot change.",
                allowed_actions=[],
            )
        if order.promised_date == new_date:
            raise ValidationFailed(
                "Same date.", field_errors={"new_date": [f"The order is already promised for {new_date:%Y-%m-%d}."]}
            )
        change = PromiseChange.objects.create(
            order=order,
            old_date=order.promised_date,
            new_date=new_date,
            reason=reason,
            customer_reason=customer_reason,
            changed_by=actor,
            changed_at=timezone.now(),
        )
        order.promised_date = new_date
        order.save(update_fields=["promised_date", "updated_at"])
        order_facts_refresh(order_ids=[order.pk])  # fill rate and late deliveries read the promise
        if outbox.has_handlers(TOPIC_PROMISE_CHANGED):
            outbox_enqueue(topic=TOPIC_PROMISE_CHANGED, order=order, payload={"promise_change_id": change.pk})
    return change


def _audit_transition(*, actor, order_number: str, action: str, from_status: str, to: str) -> None:
    """Log the move on omc.audit once its transaction block has succeeded (a refused move is not
    logged; the OrderEvent row stays the durable record). No on_commit callback, so callers that
    count hand-off callbacks see only those."""
    who = actor.get_username() if actor is not None else "system"
    audit_logger.info(
        "order.transition actor=%s order=%s action=%s from=%s to=%s",
        who,
        order_number,
        action,
        from_status or "-",
        to,
        extra={"audit_event": "order.transition", "actor": who, "order": order_number, "action": action},
    )


_reactions: dict[str, list] = {}


def order_facts_refresh(*, order_ids) -> None:
    """Recompute the dashboard facts (OrderFact) of these orders from their current rows, in one
    statement, in the caller's transaction. The hub calls it on creation, line edits and every
    move; a step app calls it after it changes what a fact is made of without a move (a return
    received, a cost estimate recomputed)."""
    facts.refresh(order_ids)


def order_facts_backfill(*, events: bool = True) -> dict:
    """Rebuild every event's end time (unless `events=False`: the loader wrote them) and every
    order's facts, set-based (after a bulk load or a restore)."""
    with transaction.atomic():
        events = facts.events_close_all() if events else 0
        facts.refresh(None)
        if connection.vendor == "postgresql":
            # Every fact was rewritten: the rollups read them next, and with the statistics of
            # before (e.g. no shipment or margin yet, after the step apps' bulk seeds) the planner
            # expected one costed order of 858,000 and nested-looped it over every customer
            # (kpi_days_refresh at 1,000,000 orders: 180 s instead of seconds).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE orders_orderfact")
        days = kpi_days_refresh()
    return {"events": events, "facts": OrderFact.objects.count(), "days": days}


def kpi_days_recent_since(days: int | None = None) -> date:
    """The first day the frequent rollup refresh rebuilds: today − OMC_KPI_ROLLUP_DAYS."""
    days = int(getattr(settings, "OMC_KPI_ROLLUP_DAYS", 35)) if days is None else days
    return timezone.localdate() - timedelta(days=days)


def kpi_days_recent_waits_since() -> date:
    """The first day the frequent refresh rebuilds the waits' histograms from: today −
    OMC_KPI_WAIT_ROLLUP_DAYS (default 1). An interval ends when it is written (the next move's
    time, a hand-off's closing), so only the days it ends on change, bar a customer's tier or an
    order's site (the nightly full rebuild) and bulk loads (the backfill rebuilds everything)."""
    return timezone.localdate() - timedelta(days=int(getattr(settings, "OMC_KPI_WAIT_ROLLUP_DAYS", 1)))


def kpi_days_refresh(*, since: date | None = None, waits_since: date | None = None) -> int:
    """Rebuild the dashboard's daily rollups (KpiDay from the facts, and the waits' histograms
    KpiWaitDay from the events and hand-offs, orders.waits) for every day from `since` on (None:
    every day; `waits_since`, when given, for the histograms instead), in one transaction: per
    table one DELETE and one INSERT ... SELECT. Idempotent.
    The beat runs it for the recent days every few minutes (late changes land on past days:
    a shipment after the promise, a return) and for everything nightly. Returns the rows
    written. A no-op off PostgreSQL (the dashboard then reads the facts)."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic():
        rows = facts.days_refresh(since)
        waits.refresh(since if waits_since is None else waits_since)  # the waits' histograms (KpiWaitDay)
        return rows


def reaction_register(action: str, reaction) -> None:
    """Work that must happen in the same transaction as a move, e.g. on submit: promise a date,
    score the priority, check credit (and hold the order if it fails). `reaction(order=, actor=)`
    may move the order again; a reaction that changes the order leaves the instance it was given
    current (sets the fields it saves, or refreshes it after another move): the move does not
    read the order again after each reaction."""
    if reaction not in _reactions.setdefault(action, []):
        _reactions[action].append(reaction)


def handoff_rule(
    *, open_to_department: str | None, from_owner: str, to_owner: str, to_status: str, actor_department: str
) -> tuple[bool, bool]:
    """The hand-off rule, as (close the open hand-off?, open a new one?).

    The open hand-off closes when the order leaves its department or when that
    department itself acted (the system acting counts); a new one opens when the
    order changes department, unless the order has reached a final status."""
    owner_changed = to_owner != from_owner
    close = open_to_department is not None and (owner_changed or actor_department in ("", open_to_department))
    return close, owner_changed and to_status not in FINAL_STATUSES


def _handoffs_after_move(*, order: Order, from_owner: str, actor_department: str, now) -> Handoff | None:
    """Close and open the flow hand-offs after a move; the opened one (its notice is the caller's)."""
    open_handoff = (
        Handoff.objects.filter(order=order, kind=Handoff.ORDER_FLOW, closed_at__isnull=True)
        .annotate(open_alerts=Exists(Alert.objects.filter(handoff=OuterRef("pk"), resolved_at__isnull=True)))
        .first()
    )
    close, open_new = handoff_rule(
        open_to_department=open_handoff.to_department if open_handoff else None,
        from_owner=from_owner,
        to_owner=order.owner_department,
        to_status=order.status,
        actor_department=actor_department,
    )
    if close:
        handoff_close(handoff=open_handoff, now=now)
    return handoff_open(order=order, from_department=from_owner, now=now, notify=False) if open_new else None


def service_level_hours(status: str) -> Decimal:
    """The step's service level in hours (cached: orders.reference)."""
    return reference.service_level_hours(status)


def handoff_open(*, order: Order, from_department: str, now, notify: bool = True) -> Handoff:
    """Open a hand-off to the order's owner department, due after the step's service level,
    and queue the notification of the receiving department (unless `notify` is false: the
    caller queues it with its other messages)."""
    level = timedelta(hours=float(service_level_hours(order.status)))
    handoff = Handoff.objects.create(
        order=order,
        from_department=from_department,
        to_department=order.owner_department,
        status=order.status,
        step=STATUS_STEP[order.status],
        opened_at=now,
        due_at=now + level,
        escalate_at=now + 2 * level,
    )
    if notify:
        outbox_enqueue(topic=TOPIC_HANDOFF_OPENED, order=order, payload={"handoff_id": handoff.pk})
    return handoff


def handoff_open_work(
    *, order: Order, kind: str, subject: str, from_department: str, to_department: str, hours: Decimal, step: str
) -> Handoff:
    """Open a timed work hand-off beside the order's flow (e.g. "refund": finance must refund
    within `hours`). Scanned, alerted and escalated like every hand-off; idempotent per kind
    while open."""
    existing = Handoff.objects.filter(order=order, kind=kind, closed_at__isnull=True).first()
    if existing:
        return existing
    now = timezone.now()
    level = timedelta(hours=float(hours))
    handoff = Handoff.objects.create(
        order=order,
        kind=kind,
        subject=subject,
        from_department=from_department,
        to_department=to_department,
        status=order.status,
        step=step,
        opened_at=now,
        due_at=now + level,
        escalate_at=now + 2 * level,
    )
    outbox_enqueue(topic=TOPIC_HANDOFF_OPENED, order=order, payload={"handoff_id": handoff.pk})
    return handoff


def handoff_close_work(*, order: Order, kind: str) -> bool:
    """Close the open work hand-off of that kind (its department did the work); False if none was open."""
    handoff = Handoff.objects.select_for_update().filter(order=order, kind=kind, closed_at__isnull=True).first()
    if handoff is None:
        return False
    handoff_close(handoff=handoff, now=timezone.now())
    return True


def handoff_close(*, handoff: Handoff, now) -> None:
    """Close the hand-off and resolve its open alerts (none to resolve when it was read with
    `open_alerts` false)."""
    handoff.closed_at = now
    handoff.save(update_fields=["closed_at"])
    if getattr(handoff, "open_alerts", True):
        Alert.objects.filter(handoff=handoff, resolved_at__isnull=True).update(resolved_at=now)


def handoff_acknowledge(*, handoff_id: int, user) -> Handoff:
    """Record that the receiving department has seen the hand-off (first acknowledgement wins)."""
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().get(pk=handoff_id)
        if handoff.closed_at is not None:
            raise InvalidTransition(_("This hand-off is already closed."), allowed_actions=[])
        if handoff.to_department not in {ROLE_DEPARTMENT[r] for r in user_roles(user)}:
            raise ActionNotPermitted(_("Only the receiving department can acknowledge this hand-off."))
        if handoff.acknowledged_at is None:
            handoff.acknowledged_at = timezone.now()
            handoff.acknowledged_by = user
            handoff.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return handoff


def order_allowed_transitions(*, order: Order, user) -> list:
    """The moves the status allows and the user's roles permit (guards are checked on the move)."""
    roles = user_roles(user) if user is not None else None
    return [t for t in transitions_from(order.status) if roles is None or roles & t.roles]


# --- outbox --------------------------------------------------------------------------------


def outbox_enqueue(*, topic: str, order: Order | None, payload: dict) -> OutboxMessage:
    """Record work for another department in the caller's transaction; publish it after commit."""
    (message,) = _outbox_write([_outbox_message(topic=topic, order=order, payload=payload)])
    return message


def _outbox_message(*, topic: str, order: Order | None, payload: dict) -> OutboxMessage:
    return OutboxMessage(
        topic=topic,
        order=order,
        payload=payload,
        created_at=timezone.now(),
        # The request that caused it, so the task logs under the same id even when the relay
        # publishes it much later (docs/operations.md, "Logs").
        request_id=get_contextvars().get("request_id", ""),
    )


def _outbox_write(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Insert the messages in one statement; publish them after commit in one callback."""
    if not messages:
        return messages
    if len(messages) == 1:
        messages[0].save(force_insert=True)
    else:
        OutboxMessage.objects.bulk_create(messages)
    ids = [message.pk for message in messages]
    rows = {message.pk: (message.topic, message.request_id) for message in messages}
    transaction.on_commit(lambda: outbox_dispatch(message_ids=ids, rows=rows))
    return messages


def outbox_dispatch(*, message_ids: list[int], stop_on_error: bool = False, rows: dict | None = None) -> int:
    """Publish messages to Celery, one task per topic and batch of up to OMC_OUTBOX_BATCH_SIZE
    ids (a transaction's one or two messages are one task; a backlog re-published by the relay
    is drained in batches). A broker failure is logged and left for the relay; it never
    reaches the user whose transaction has already committed. `stop_on_error` (the relay)
    gives up at the first failure: the broker is down. `rows` ({id: (topic, request id)}) when
    the caller has them (_outbox_write), else they are read. Returns the messages published."""
    from .tasks import outbox_deliver

    if rows is None:
        rows = {
            pk: (topic, request_id)
            for pk, topic, request_id in OutboxMessage.objects.filter(pk__in=message_ids).values_list(
                "pk", "topic", "request_id"
            )
        }
    by_topic: dict[str, list[int]] = {}
    for message_id in message_ids:
        if message_id in rows:
            by_topic.setdefault(rows[message_id][0], []).append(message_id)
    size = max(1, settings.OMC_OUTBOX_BATCH_SIZE)
    done: list[int] = []
    for ids in (group[i : i + size] for group in by_topic.values() for i in range(0, len(group), size)):
        # The task's headers carry the request id of the request that wrote the rows (when a
        # batch mixes requests, the worker binds each message's own id while applying it).
        request_ids = {rows[message_id][1] for message_id in ids} - {""}
        request_id = request_ids.pop() if len(request_ids) == 1 else get_contextvars().get("request_id", "")
        try:
            with bound_contextvars(request_id=request_id):
                outbox_deliver.apply_async(args=[ids], retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker error leaves the rows for the relay
            logger.warning("outbox: could not publish messages %s: %s", ids, exc)
            OutboxMessage.objects.filter(pk__in=ids).update(
                dispatch_attempts=F("dispatch_attempts") + 1, last_error=str(exc)[:2000]
            )
            if stop_on_error:
                break
            continue
        done += ids
    if done:
        # One UPDATE for all the published ones, after their publish: each attempt counted with
        # its outcome (a crash before it leaves them to the relay, whose delivery is idempotent).
        OutboxMessage.objects.filter(pk__in=done).update(
            dispatch_attempts=F("dispatch_attempts") + 1,
            dispatched_at=Coalesce(F("dispatched_at"), Value(timezone.now())),
        )
    return len(done)


def outbox_relay(
    *,
    unpublished_after_seconds: int | None = None,
    unprocessed_after_seconds: int | None = None,
    batch_size: int = 500,
    max_batches: int = 40,
) -> int:
    """Re-publish messages never published (broker was down) or published but never processed
    (a delivery lost with the broker's memory). Safe to run any number of times and from any
    number of places at once: each batch is claimed with FOR UPDATE SKIP LOCKED and published
    while the claim holds, and processing is idempotent. Stops at the first publish failure
    (the broker is still down) and after `max_batches`; the next run continues."""
    if unpublished_after_seconds is None:
        unpublished_after_seconds = settings.OMC_OUTBOX_RELAY_UNPUBLISHED_AFTER_SECONDS
    if unprocessed_after_seconds is None:
        unprocessed_after_seconds = settings.OMC_OUTBOX_RELAY_UNPROCESSED_AFTER_SECONDS
    published = 0
    for _batch in range(max_batches):
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(processed_at__isnull=True)
                .filter(
                    Q(dispatched_at__isnull=True, created_at__lte=now - timedelta(seconds=unpublished_after_seconds))
                    | Q(dispatched_at__lte=now - timedelta(seconds=unprocessed_after_seconds))
                )
                .order_by("created_at", "id")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            OutboxMessage.objects.filter(pk__in=ids).update(dispatched_at=None)
            sent = outbox_dispatch(message_ids=ids, stop_on_error=True)
        published += sent
        if sent < len(ids):
            break
    return published


def _consumer_key(handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def outbox_process(*, message_id: int) -> bool:
    """Apply one outbox message exactly once (see outbox_process_many). Returns False when it
    was already processed."""
    return outbox_process_many(message_ids=[message_id]) == 1


def outbox_process_many(*, message_ids: list[int]) -> int:
    """Apply outbox messages exactly once: in one transaction the unprocessed ones among them
    are locked (in id order, so two overlapping batches never deadlock), each consumer's
    handler runs and a unique receipt (message, consumer) is recorded for each message, and
    the messages are marked processed; a duplicate or redelivered message changes nothing.
    If that transaction fails, each message is applied again in a transaction of its own, so
    one bad message never holds back the others; the first error is then raised (the task
    retries, and finds the others processed). Returns how many messages this call applied."""
    try:
        return _outbox_apply(message_ids)
    except Exception:
        if len(message_ids) == 1:
            raise
        logger.warning("outbox: batch of %s failed; applying its messages one by one", len(message_ids), exc_info=True)
    applied, error = 0, None
    for message_id in message_ids:
        try:
            applied += _outbox_apply([message_id])
        except Exception as exc:  # noqa: BLE001 - raised below, after the others are applied
            error = error or exc
    if error is not None:
        raise error
    return applied


def _outbox_apply(message_ids: list[int]) -> int:
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=message_ids, processed_at__isnull=True)
            .order_by("pk")
        )
        if not messages:
            return 0
        now = timezone.now()
        done = set(OutboxReceipt.objects.filter(message__in=messages).values_list("message_id", "consumer"))
        by_topic: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            by_topic.setdefault(message.topic, []).append(message)
        receipts = []
        # Handlers of one message first, batch handlers (the hand-off emails) last: a message
        # whose handler fails then rolls the batch back before its emails went out.
        for batch in (False, True):
            for topic, group in by_topic.items():
                for handler in outbox.handlers_for(topic):
                    if outbox.takes_batches(handler) is not batch:
                        continue
                    consumer = _consumer_key(handler)
                    todo = [message for message in group if (message.pk, consumer) not in done]
                    if not todo:
                        continue
                    if batch:
                        handler(todo)
                    else:
                        for message in todo:
                            with bound_contextvars(
                                request_id=message.request_id or get_contextvars().get("request_id", "")
                            ):
                                handler(message)
                    receipts += [
                        OutboxReceipt(message=message, consumer=consumer, processed_at=now) for message in todo
                    ]
        OutboxReceipt.objects.bulk_create(receipts)
        # Fault injection for the reliability tests only (0 everywhere else): hold the
        # transaction open so a test can kill the worker between the effect and the commit.
        delay = getattr(settings, "OMC_OUTBOX_TEST_DELAY_SECONDS", 0)
        if delay:
            time.sleep(delay)
        OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(processed_at=now)
    return len(messages)


def idempotency_records_expire(*, now=None) -> int:
    """Delete stored Idempotency-Key answers older than OMC_IDEMPOTENCY_KEEP_HOURS (beat, hourly)."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.OMC_IDEMPOTENCY_KEEP_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- alerts --------------------------------------------------------------------------------


def handoffs_scan_overdue(*, now=None) -> dict:
    """Raise one alert per overdue open hand-off and one escalation past twice the service
    level. Set-based: one INSERT ... SELECT per level; the unique (handoff, level)
    constraint makes a rerun or a concurrent scan a no-op."""
    now = now or timezone.now()
    handoff_table = Handoff._meta.db_table
    alert_table = Alert._meta.db_table
    raised = {}
    for level, deadline_column in ((Alert.Level.OVERDUE, "due_at"), (Alert.Level.ESCALATED, "escalate_at")):
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {alert_table} (handoff_id, order_id, level, department, raised_at, recipients)
                SELECT h.id, h.order_id, %s, h.to_department, %s, ''
                FROM {handoff_table} h
                WHERE h.closed_at IS NULL AND h.{deadline_column} <= %s
                ON CONFLICT (handoff_id, level) DO NOTHING
                """,
                [level.value, now, now],
            )
            raised[level.value] = cursor.rowcount
    return raised


def alerts_send_pending(*, batch_size: int = 200) -> int:
    """Email the alerts not yet sent: overdue ones to the receiving department, escalations
    to its manager. Rows are locked (skip_locked) so two scans never send one alert twice."""
    sent = 0
    recipients_cache: dict[tuple, list[str]] = {}
    with transaction.atomic():
        pending = list(
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(emailed_at__isnull=True, resolved_at__isnull=True)
            .select_related("order", "handoff")
            .order_by("raised_at", "id")[:batch_size]
        )
        now = timezone.now()
        for alert in pending:
            key = (alert.level, alert.department)
            if key not in recipients_cache:
                recipients_cache[key] = _alert_recipients(level=alert.level, department=alert.department)
            recipients = recipients_cache[key]
            if recipients:
                send_mail(
                    subject=_alert_subject(alert),
                    message=_alert_body(alert),
                    from_email=None,
                    recipient_list=recipients,
                )
                sent += 1
            alert.emailed_at = now
            alert.recipients = ", ".join(recipients)
        Alert.objects.bulk_update(pending, ["emailed_at", "recipients"])
    return sent


def department_member_emails(department: str) -> list[str]:
    roles = [role.value for role, dept in ROLE_DEPARTMENT.items() if dept == department]
    return sorted(
        set(
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=roles)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _alert_recipients(*, level: str, department: str) -> list[str]:
    if level == Alert.Level.OVERDUE:
        return department_member_emails(department)
    setting = DepartmentSetting.objects.select_related("manager").filter(department=department).first()
    if setting and setting.manager and setting.manager.email:
        return [setting.manager.email]
    if setting and setting.manager_email:
        return [setting.manager_email]
    return department_member_emails(department)


def _alert_subject(alert: Alert) -> str:
    department = Department(alert.department).label
    if alert.level == Alert.Level.ESCALATED:
        return f"[OMC] Escalation: order {alert.order.number} waits too long in {department}"
    return f"[OMC] Overdue: order {alert.order.number} waits in {department}"


def _alert_body(alert: Alert) -> str:
    handoff = alert.handoff
    return (
        f"Order {alert.order.number} was handed to {Department(handoff.to_department).label} "
        f"at {handoff.opened_at:%Y-%m-%d %H:%M %Z} and was due by {handoff.due_at:%Y-%m-%d %H:%M %Z}.\n"
        f"It is waiting in status '{OrderStatus(handoff.status).label}'.\n"
    )


def handoff_notify_receiver(messages: list[OutboxMessage]) -> None:
    """Tell the receiving departments that orders now wait for them (batch handler of
    handoff.opened): the batch's hand-offs in one query, each department's members once,
    all the emails over one mail connection."""
    handoff_ids = [message.payload.get("handoff_id") for message in messages]
    handoffs = (
        Handoff.objects.filter(pk__in=[pk for pk in handoff_ids if pk is not None], closed_at__isnull=True)
        .select_related("order")
        .only("to_department", "status", "due_at", "order__number")
        .order_by("pk")
    )
    recipients: dict[str, list[str]] = {}
    emails = []
    for handoff in handoffs:
        department = handoff.to_department
        if department not in recipients:
            recipients[department] = department_member_emails(department)
        if recipients[department]:
            emails.append(
                (
                    f"[OMC] Order {handoff.order.number} waits for {Department(department).label}",
                    f"Order {handoff.order.number} is now {OrderStatus(handoff.status).label.lower()} "
                    f"and due for action by {handoff.due_at:%Y-%m-%d %H:%M %Z}.",
                    None,
                    recipients[department],
                )
            )
    if emails:
        send_mass_mail(emails)  # one connection for the batch


# --- stuck and failed background work (the admins' stuck-work page) ------------------------


def task_failure_record(*, task_name: str, task_id: str, args, kwargs, error: str, request_id: str = "") -> TaskFailure:
    """Keep a task that failed for good, so an admin can see it and run it again."""
    return TaskFailure.objects.create(
        task_name=task_name[:200],
        task_id=(task_id or "")[:64],
        args=list(args or []),
        kwargs=dict(kwargs or {}),
        error=error[:4000],
        request_id=(request_id or "")[:128],
        failed_at=timezone.now(),
    )


def task_failure_retry(*, failure_id: int, user, send_task) -> TaskFailure:
    """Publish a failed task again with its arguments (once: a retried failure is not retried
    twice; if it fails again, a new failure row appears). `send_task` is the Celery app's."""
    with transaction.atomic():
        failure = TaskFailure.objects.select_for_update().get(pk=failure_id)
        if failure.retried_at is not None:
            raise InvalidTransition(f"{failure.task_name} was already run again.", allowed_actions=[])
        failure.retried_at = timezone.now()
        failure.retried_by = user
        failure.save(update_fields=["retried_at", "retried_by"])
        args, kwargs, name = failure.args, failure.kwargs, failure.task_name
        request_id = failure.request_id
        transaction.on_commit(lambda: _send_again(send_task, name, args, kwargs, request_id))
    return failure


def _send_again(send_task, name, args, kwargs, request_id) -> None:
    with bound_contextvars(request_id=request_id or get_contextvars().get("request_id", "")):
        send_task(name, args=args, kwargs=kwargs)


def outbox_retry(*, message_id: int) -> int:
    """Publish one unprocessed outbox message again now (the relay would, within minutes)."""
    updated = OutboxMessage.objects.filter(pk=message_id, processed_at__isnull=True).update(
        dispatched_at=None, last_error=""
    )
    if not updated:
        raise InvalidTransition("This message was already delivered.", allowed_actions=[])
    return outbox_dispatch(message_ids=[message_id])


# --- user preferences ---------------------------------------------------------------------


def user_language_set(*, user, language: str) -> None:
    """Store the user's page language (a code from settings.LANGUAGES; the view checked it)."""
    from .models import UserPreference

    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
