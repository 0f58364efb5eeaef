"""How returns reacts to other departments (outbox topics).

Topics returns publishes:
- "returns.restock" {"site_id", "lines": {"<order_line_id>": "<quantity>"}, "reference"}: inspected
  goods go back on the shelf (fulfillment books "return" stock movements).
- "returns.credit_requested" {"source": "rma"|"claim", "source_id", "reference", "reason",
  "invoice_id" (claims: the claimed invoice; RMAs: null, billing finds the invoices of the order
  lines), "handoff_kind", "lines": {"<order_line_id>": {"quantity", "unit_price" (null: as invoiced)}}}:
  billing issues the credit notes and closes the hand-off `handoff_kind`.
- "returns.claim_opened" {"invoice_id"}: the invoice is disputed (billing accuracy).
Topics it consumes:
- "billing.credit_issued" {"source", "source_id", "credit_note_numbers"}: the RMA or claim is done.
- "billing.credit_failed" {"source", "source_id", "reason"}: kept for finance to see.
"""

from . import services


def on_credit_issued(message) -> None:
    payload = message.payload
    services.credit_issued(
        source=payload["source"], source_id=payload["source_id"], credit_note_numbers=payload["credit_note_numbers"]
    )


def on_credit_failed(message) -> None:
    payload = message.payload
    services.credit_failed(source=payload["source"], source_id=payload["source_id"], reason=payload["reason"])
