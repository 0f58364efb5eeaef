"""Business guards named in the transition table.

Each takes the locked order and its lines and returns field errors (empty when the
move may go ahead). They read only the order's own quantities, so the hub never
needs to import the step apps that maintain them.
"""

from django.utils.translation import gettext as _


def lines_priced(order, lines) -> dict:
    if not lines:
        return {"lines": [_("The order has no lines.")]}
    unpriced = [line.line_no for line in lines if line.unit_price is None]
    if unpriced:
        return {"lines": [_("Lines without an agreed price: %(lines)s.") % {"lines": ", ".join(map(str, unpriced))}]}
    return {}


def something_shipped(order, lines) -> dict:
    if not any(line.quantity_shipped > 0 for line in lines):
        return {"lines": [_("Nothing has been shipped yet: record the shipped quantities first.")]}
    return {}


def invoiceable(order, lines) -> dict:
    if not any(line.quantity_shipped > 0 for line in lines):
        return {"lines": [_("Nothing has been shipped, so nothing can be invoiced.")]}
    return {}


def nothing_shipped(order, lines) -> dict:
    if any(line.quantity_shipped > 0 for line in lines):
        return {"status": [_("Goods have already left for this order: it can no longer be cancelled.")]}
    return {}


def everything_shipped(lines) -> bool:
    return all(line.quantity_shipped >= line.quantity_ordered for line in lines)


_extra_guards: dict[str, list] = {}


def register(action: str, guard) -> None:
    """A step app adds a business rule to a move (e.g. pricing: no quote while a discount waits
    for approval). `guard(order, lines)` returns field errors like the guards above."""
    if guard not in _extra_guards.setdefault(action, []):
        _extra_guards[action].append(guard)


def any_for(action: str, table_guard: str) -> bool:
    """Whether the move has a guard at all (the move reads the lines only then)."""
    return bool(table_guard or _extra_guards.get(action))


def errors_for(action: str, table_guard: str, order, lines) -> dict:
    """Every failing rule of a move: the table's own guard, then the registered ones."""
    errors = GUARDS[table_guard](order, lines) if table_guard else {}
    for guard in _extra_guards.get(action, ()):
        for field, messages in guard(order, lines).items():
            errors.setdefault(field, []).extend(messages)
    return errors


GUARDS = {
    "lines_priced": lines_priced,
    "something_shipped": something_shipped,
    "invoiceable": invoiceable,
    "nothing_shipped": nothing_shipped,
}
