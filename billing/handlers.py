"""How billing reacts to other departments (outbox topics).

- "billing.invoice_posted" ({"invoice_id"}, billing's own): email the posted document.
- "order.ship" (payload {"event_id", "data": {"shipment", "lines"}}): draft the invoice.
- "returns.claim_opened" ({"invoice_id"}): the invoice is disputed (billing accuracy).
- "returns.credit_requested" ({"source", "source_id", "reason", "invoice_id" or null, "handoff_kind",
  "lines": {"<order_line_id>": {"quantity", "unit_price" or null}}}): issue the credit notes, close
  finance's refund hand-off, and answer "billing.credit_issued" {"source", "source_id",
  "credit_note_numbers"} or "billing.credit_failed" {"source", "source_id", "reason"}.

Published: "billing.invoice_posted" ({"invoice_id"}) when an invoice is posted (the customer
portal tells the contacts who asked).
"""

from django.db import transaction

from orders.errors import DomainError
from orders.services import outbox_enqueue

from . import services

TOPIC_CREDIT_ISSUED = "billing.credit_issued"
TOPIC_CREDIT_FAILED = "billing.credit_failed"


def on_invoice_posted(message) -> None:
    """Email the posted invoice or credit note (billing's own topic "billing.invoice_posted"
    {"invoice_id"}); one cancelled or never sendable meanwhile is left alone."""
    try:
        services.invoice_send(invoice_id=message.payload["invoice_id"])
    except DomainError:
        return


def on_order_shipped(message) -> None:
    services.invoice_draft_from_shipment(event_id=message.payload["event_id"])


def on_claim_opened(message) -> None:
    services.invoice_mark_disputed(invoice_id=message.payload["invoice_id"])


def on_credit_requested(message) -> None:
    """A return was inspected or a claim accepted: issue the credit notes, or say why not (the
    refund hand-off then stays open, so finance is alerted when it runs late)."""
    payload = message.payload
    reply = {"source": payload["source"], "source_id": payload["source_id"]}
    try:
        with transaction.atomic():
            credits = services.credit_notes_for_order_lines(
                lines={int(k): v for k, v in payload["lines"].items()},
                reason=payload["reason"],
                invoice_id=payload.get("invoice_id"),
                handoff_kind=payload.get("handoff_kind", ""),
            )
    except DomainError as error:
        details = [msg for msgs in error.field_errors.values() for msg in msgs]
        outbox_enqueue(
            topic=TOPIC_CREDIT_FAILED,
            order=message.order,
            payload={**reply, "reason": " ".join(details) or error.message},
        )
        return
    outbox_enqueue(
        topic=TOPIC_CREDIT_ISSUED,
        order=message.order,
        payload={**reply, "credit_note_numbers": [credit.number for credit in credits]},
    )
