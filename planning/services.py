"""Every write of order planning: forecasts (versioned, never overwritten), the consensus and
its sign-off, each with its audit row. Callers validate shapes; these functions enforce the
business rules and raise orders.errors domain errors."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import ActionNotPermitted, ValidationFailed
from orders.models import Product
from orders.roles import Role, user_has_role

from .models import Consensus, Forecast, ForecastVersion, PlanningEvent, Source
from .months import month_editable, month_label

# Which role enters each source's figures.
SOURCE_EDITOR = {Source.SALES: Role.SALES_REP, Source.PRODUCTION: Role.SCHEDULER}
CONSENSUS_SETTER = Role.DEMAND_PLANNER
CONSENSUS_SIGNER = Role.SCHEDULER


@dataclass(frozen=True)
class ForecastEntry:
    product_id: int
    month: date
    quantity: Decimal


def _require_role(actor, role: Role, what: str) -> None:
    if not user_has_role(actor, {role}):
        raise ActionNotPermitted(_("Only a %(lower)s may %(what)s.") % {"lower": role.label.lower(), "what": what})


def _month_closed_message(month: date) -> str:
    return _("%(month)s is closed: a month is open for planning until it begins.") % {"month": month_label(month)}


# --- forecasts -----------------------------------------------------------------------------


def forecast_entry_errors(*, entries: list[ForecastEntry], on: date | None = None) -> dict[int, tuple[str, str]]:
    """The business-rule problem of each entry, by index, as (field, message): a month not
    open, an unknown or inactive product, the same product and month twice. Empty when all
    may be saved."""
    product_ids = {entry.product_id for entry in entries}
    active = set(Product.objects.filter(pk__in=product_ids, active=True).values_list("pk", flat=True))
    errors: dict[int, tuple[str, str]] = {}
    seen: set[tuple[int, date]] = set()
    for index, entry in enumerate(entries):
        key = (entry.product_id, entry.month)
        if entry.product_id not in active:
            errors[index] = ("product", _("Unknown or inactive product."))
        elif not month_editable(entry.month, on=on):
            errors[index] = ("month", _month_closed_message(entry.month))
        elif key in seen:
            errors[index] = ("month", _("This product and month appear more than once."))
        seen.add(key)
    return errors


def forecast_save_many(
    *,
    source: Source,
    entries: list[ForecastEntry],
    actor,
    origin: str = ForecastVersion.Origin.GRID,
    on: date | None = None,
) -> list[Forecast]:
    """Save figures of one source, all or none; returns the forecasts that changed.

    Guarantees: the actor holds the source's editor role (else ActionNotPermitted); every
    month is open and every product active (else ValidationFailed with `entries` errors by
    index, and nothing written). Each figure that differs from the current one adds a
    ForecastVersion (who, when, previous value) and updates the current Forecast in the same
    transaction; a figure equal to the current one writes nothing. Concurrent saves of the
    same cell queue on its row lock, so versions are numbered without gaps or collisions.
    """
    _require_role(actor, SOURCE_EDITOR[source], f"enter the {Source(source).label.lower()} forecast")
    errors = forecast_entry_errors(entries=entries, on=on)
    if errors:
        raise ValidationFailed(
            _("Some figures cannot be saved; nothing was saved."),
            field_errors={"entries": {str(index): [message] for index, (_entry, message) in errors.items()}},
        )
    if not entries:
        return []
    now = timezone.now()
    wanted = {(entry.product_id, entry.month): entry.quantity for entry in entries}
    with transaction.atomic():
        # Create missing cells first (version 0 = not saved yet), so that every cell can be
        # locked below; a concurrent first save of the same cell waits here instead of failing.
        Forecast.objects.bulk_create(
            [
                Forecast(product_id=product_id, source=source, month=month, quantity=quantity, updated_at=now)
                for (product_id, month), quantity in sorted(wanted.items())
            ],
            ignore_conflicts=True,
        )
        locked = (
            Forecast.objects.select_for_update()
            .filter(source=source, product_id__in={key[0] for key in wanted}, month__in={key[1] for key in wanted})
            .order_by("id")
        )
        changed, versions = [], []
        for forecast in locked:
            quantity = wanted.get((forecast.product_id, forecast.month))
            if quantity is None or (forecast.version and forecast.quantity == quantity):
                continue
            previous = forecast.quantity if forecast.version else None
            forecast.version += 1
            forecast.quantity, forecast.updated_by, forecast.updated_at = quantity, actor, now
            changed.append(forecast)
            versions.append(
                ForecastVersion(
                    forecast=forecast,
                    version=forecast.version,
                    quantity=quantity,
                    previous_quantity=previous,
                    origin=origin,
                    created_by=actor,
                    created_at=now,
                )
            )
        Forecast.objects.bulk_update(changed, ["quantity", "version", "updated_by", "updated_at"])
        ForecastVersion.objects.bulk_create(versions)
    return changed


def forecast_save(
    *,
    source: Source,
    product: Product,
    month: date,
    quantity: Decimal,
    actor,
    origin: str = ForecastVersion.Origin.API,
    on: date | None = None,
) -> Forecast:
    """Save one figure (see forecast_save_many); returns the current forecast, changed or not."""
    entry = ForecastEntry(product_id=product.pk, month=month, quantity=quantity)
    _require_role(actor, SOURCE_EDITOR[source], f"enter the {Source(source).label.lower()} forecast")
    errors = forecast_entry_errors(entries=[entry], on=on)
    if errors:
        field, message = errors[0]
        raise ValidationFailed(message, field_errors={field: [message]})
    forecast_save_many(source=source, entries=[entry], actor=actor, origin=origin, on=on)
    return Forecast.objects.select_related("updated_by").get(source=source, product=product, month=month)


def forecast_import(*, source: Source, entries: list[ForecastEntry], actor, file_name: str = "") -> int:
    """Import parsed CSV rows, all or none (see forecast_save_many), and record one
    FORECAST_IMPORTED event saying how many rows changed. Returns that number."""
    with transaction.atomic():
        changed = forecast_save_many(source=source, entries=entries, actor=actor, origin=ForecastVersion.Origin.IMPORT)
        PlanningEvent.objects.create(
            kind=PlanningEvent.Kind.FORECAST_IMPORTED,
            source=source,
            actor=actor,
            role=SOURCE_EDITOR[source],
            note=f"{len(entries)} rows read, {len(changed)} figures changed"
            + (f" from {file_name}" if file_name else ""),
            created_at=timezone.now(),
        )
    return len(changed)


# --- consensus -----------------------------------------------------------------------------


def consensus_set(
    *, product: Product, month: date, quantity: Decimal, rationale: str, actor, on: date | None = None
) -> Consensus:
    """Set the consensus figure of a product and month, with the reason for it.

    Guarantees: only a demand planner (else ActionNotPermitted); the month is open, the
    product active and the rationale not blank (else ValidationFailed, nothing written).
    Records a CONSENSUS_SET event with the previous figure and the rationale. If the figure
    was signed off and the quantity changes, the sign-off is cleared and a SIGN_OFF_CLEARED
    event recorded in the same transaction: production signed off a number, not a row.
    """
    _require_role(actor, CONSENSUS_SETTER, "set the consensus")
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationFailed(_("A rationale is required."), field_errors={"rationale": [_("Say why this figure.")]})
    if not month_editable(month, on=on):
        message = _month_closed_message(month)
        raise ValidationFailed(message, field_errors={"month": [message]})
    if not product.active:
        raise ValidationFailed(
            _("The product is inactive."), field_errors={"product": [_("This product is inactive.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        consensus = Consensus.objects.select_for_update().filter(product=product, month=month).first()
        previous = consensus.quantity if consensus else None
        if consensus is None:
            consensus = Consensus(product=product, month=month)
        clears_sign_off = consensus.signed_off and previous != quantity
        consensus.quantity, consensus.rationale, consensus.set_by, consensus.set_at = quantity, rationale, actor, now
        if clears_sign_off:
            consensus.signed_off_by, consensus.signed_off_at = None, None
        consensus.save()
        PlanningEvent.objects.create(
            kind=PlanningEvent.Kind.CONSENSUS_SET,
            product=product,
            month=month,
            quantity=quantity,
            previous_quantity=previous,
            actor=actor,
            role=CONSENSUS_SETTER,
            note=rationale,
            created_at=now,
        )
        if clears_sign_off:
            PlanningEvent.objects.create(
                kind=PlanningEvent.Kind.SIGN_OFF_CLEARED,
                product=product,
                month=month,
                quantity=quantity,
                previous_quantity=previous,
                actor=actor,
                role=CONSENSUS_SETTER,
                note=_("The signed-off figure changed; production must sign off again."),
                created_at=now,
            )
    return consensus


def consensus_sign_off(*, month: date, product_ids: list[int], actor, on: date | None = None) -> int:
    """Production signs off the consensus of `month` for the given products (one product-month,
    or a whole page). Returns how many figures were newly signed off.

    Guarantees: only a production scheduler (else ActionNotPermitted); the month is open and
    at least one of the products has a consensus not yet signed off (else ValidationFailed,
    nothing written). Each sign-off records a CONSENSUS_SIGNED_OFF event (who, role, figure,
    when); figures already signed off are left as they are.
    """
    _require_role(actor, CONSENSUS_SIGNER, "sign off the consensus")
    if not month_editable(month, on=on):
        message = _month_closed_message(month)
        raise ValidationFailed(message, field_errors={"month": [message]})
    now = timezone.now()
    with transaction.atomic():
        pending = list(
            Consensus.objects.select_for_update()
            .filter(month=month, product_id__in=set(product_ids), signed_off_at__isnull=True)
            .order_by("id")
        )
        if not pending:
            raise ValidationFailed(
                _("There is no consensus waiting for sign-off here."),
                field_errors={"products": [_("Set a consensus first, or it is already signed off.")]},
            )
        for consensus in pending:
            consensus.signed_off_by, consensus.signed_off_at = actor, now
        Consensus.objects.bulk_update(pending, ["signed_off_by", "signed_off_at"])
        PlanningEvent.objects.bulk_create(
            PlanningEvent(
                kind=PlanningEvent.Kind.CONSENSUS_SIGNED_OFF,
                product_id=consensus.product_id,
                month=month,
                quantity=consensus.quantity,
                actor=actor,
                role=CONSENSUS_SIGNER,
                created_at=now,
            )
            for consensus in pending
        )
    return len(pending)
