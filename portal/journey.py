"""The order's journey in the customer's terms, mapped from the internal statuses in ONE place.

Customers see six stages — received, confirmed, in production, shipped, delivered, invoiced — and
never why an order waits inside the company: an order on credit hold is simply "received", a
rejected one "cancelled" (the reasons stay internal).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from orders.states import OrderStatus as S


class Stage:
    RECEIVED = "received"
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    INVOICED = "invoiced"


STAGES = [
    (Stage.RECEIVED, _("Received")),
    (Stage.CONFIRMED, _("Confirmed")),
    (Stage.IN_PRODUCTION, _("In production")),
    (Stage.SHIPPED, _("Shipped")),
    (Stage.DELIVERED, _("Delivered")),
    (Stage.INVOICED, _("Invoiced")),
]
STAGE_INDEX = {key: index for index, (key, _label) in enumerate(STAGES)}

# Internal status -> the stage the customer sees (None: before the company has the order, or
# withdrawn).
STATUS_STAGE = {
    S.DRAFT: None,
    S.QUOTED: None,
    S.ENTERED: Stage.RECEIVED,
    S.ON_HOLD: Stage.RECEIVED,  # credit holds are internal: the customer sees "received"
    S.ACCEPTED: Stage.CONFIRMED,
    S.SCHEDULED: Stage.CONFIRMED,
    S.IN_PRODUCTION: Stage.IN_PRODUCTION,
    S.READY_TO_SHIP: Stage.IN_PRODUCTION,  # made or picked from stock; not yet left
    S.PARTIALLY_SHIPPED: Stage.SHIPPED,
    S.SHIPPED: Stage.SHIPPED,
    S.DELIVERED: Stage.DELIVERED,
    S.INVOICED: Stage.INVOICED,
    S.PAID: Stage.INVOICED,
    S.CLOSED: Stage.INVOICED,
    S.REJECTED: None,
    S.CANCELLED: None,
}

# The label a customer reads for the order's status.
STATUS_LABEL = {
    S.DRAFT: _("Requested, awaiting confirmation"),
    S.QUOTED: _("Quoted"),
    S.ENTERED: _("Received"),
    S.ON_HOLD: _("Received"),
    S.ACCEPTED: _("Confirmed"),
    S.SCHEDULED: _("Confirmed"),
    S.IN_PRODUCTION: _("In production"),
    S.READY_TO_SHIP: _("In production"),
    S.PARTIALLY_SHIPPED: _("Partly shipped"),
    S.SHIPPED: _("Shipped"),
    S.DELIVERED: _("Delivered"),
    S.INVOICED: _("Invoiced"),
    S.PAID: _("Paid"),
    S.CLOSED: _("Paid"),
    S.REJECTED: _("Cancelled"),
    S.CANCELLED: _("Cancelled"),
}

# Statuses grouped for the customer's filter (open: not yet with them and invoiced).
CUSTOMER_FILTERS = {
    "open": [s for s, stage in STATUS_STAGE.items() if stage in (Stage.RECEIVED, Stage.CONFIRMED, Stage.IN_PRODUCTION)]
    + [S.DRAFT, S.PARTIALLY_SHIPPED],
    "shipped": [S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED],
    "invoiced": [S.INVOICED, S.PAID, S.CLOSED],
    "cancelled": [S.REJECTED, S.CANCELLED],
}


def status_label(status: str) -> str:
    return STATUS_LABEL[status]


def status_css(status: str) -> str:
    """A class name for the status badge: the stage, or "paid", "cancelled", "requested"."""
    if status in (S.PAID, S.CLOSED):
        return "paid"
    if status in (S.REJECTED, S.CANCELLED):
        return "cancelled"
    return STATUS_STAGE.get(status) or "requested"


@dataclass
class JourneyStage:
    key: str
    label: str
    reached: bool
    current: bool
    reached_at: datetime | None


def journey(*, status: str, reached_at: dict[str, datetime], delivered: bool | None = None) -> list[JourneyStage]:
    """The six stages, each reached or not, with when it was first reached (`reached_at` maps an
    internal status to the first time the order entered it). `delivered` says whether the goods
    have arrived, for orders invoiced before they did (None: judge by the status alone)."""
    current = STATUS_STAGE.get(status)
    current_index = STAGE_INDEX[current] if current else -1
    # Delivery is the one stage an order may pass by: invoiced straight from shipped while the
    # goods still travel. Say "delivered" only once they were.
    skipped = set()
    if delivered is False and current_index > STAGE_INDEX[Stage.DELIVERED]:
        skipped.add(Stage.DELIVERED)
    first_seen: dict[str, datetime] = {}
    for internal, when in reached_at.items():
        stage = STATUS_STAGE.get(internal)
        if stage and (stage not in first_seen or when < first_seen[stage]):
            first_seen[stage] = when
    return [
        JourneyStage(
            key=key,
            label=label,
            reached=STAGE_INDEX[key] <= current_index and key not in skipped,
            current=key == current,
            reached_at=first_seen.get(key) if STAGE_INDEX[key] <= current_index else None,
        )
        for key, label in STAGES
    ]
