"""How billing reacts to other departments (outbox topics).

- "order.ship" (payload {"event_id", "data": {"shipment", "lines"}}): draft the invoice.
- "returns.claim_opened" ({"invoice_id"}): the invoice is disputed (billing accuracy).
"""

from . import services


def on_order_shipped(message) -> None:
    services.invoice_draft_from_shipment(event_id=message.payload["event_id"])


def on_claim_opened(message) -> None:
    services.invoice_mark_disputed(invoice_id=message.payload["invoice_id"])
