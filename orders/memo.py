"""A memo for the length of one hub operation (a move and its guards and reactions).

Within one move several apps need the same reads: the approval guard, the promise and the
priority score all want the order's lines, the routing of its products and the cost estimate;
the promise and the score both want the load of the same work centers. `scope()` (opened by
`order_transition`) keeps what `remember(key, compute)` computed until the move returns, so each
is read once. Outside a scope nothing is kept and `remember` just computes. A key names
everything its value depends on that could differ within the scope (e.g. the lines' quantities
and prices); what no move changes (routings, calendars) needs no more than its arguments."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict | None] = ContextVar("omc_memo", default=None)


@contextmanager
def scope() -> Iterator[None]:
    """Keep remembered values until the block ends; a nested scope shares the outer one."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remember(key: Hashable, compute: Callable[[], Any]) -> Any:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(key: Hashable) -> None:
    """Drop a remembered value (its rows were just written)."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)
