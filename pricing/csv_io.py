"""Price list CSV files (columns sku, min_quantity, unit_price): every row is checked before
anything is written, so an import is all or nothing and every problem is reported with its line."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from orders.models import Product

CSV_COLUMNS = ["sku", "min_quantity", "unit_price"]
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_PRICE = Decimal("9999999999.99")
MAX_QUANTITY = Decimal("999999999.999")


@dataclass
class PriceRow:
    product_id: int
    min_quantity: Decimal
    unit_price: Decimal


@dataclass
class PriceImport:
    rows: list[PriceRow] = field(default_factory=list)
    # (line number in the file, sku, message), in file order
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    rows_read: int = 0


def _decimal(text: str, *, places: int) -> Decimal | None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal(1).scaleb(-places)):
        return None
    return value


def price_list_csv_read(data: bytes) -> PriceImport:
    """Parse and check an uploaded price list; `errors` empty means every row may be imported."""
    result = PriceImport()
    if len(data) > MAX_IMPORT_BYTES:
        result.errors.append((1, "", f"The file is larger than {MAX_IMPORT_BYTES // 1024 // 1024} MB."))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((1, "", "The file is not UTF-8 text (save it as CSV UTF-8)."))
        return result
    reader = csv.reader(io.StringIO(text))
    header = [column.strip().lower() for column in next(reader, [])]
    if header[:3] != CSV_COLUMNS:
        result.errors.append((1, "", "The first line must be the header: sku,min_quantity,unit_price"))
        return result
    parsed = []  # (line, sku, min_quantity, unit_price)
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_IMPORT_ROWS:
            result.errors.append((line_no, "", f"Too many rows: at most {MAX_IMPORT_ROWS} per file."))
            return result
        sku, quantity_text, price_text = ([*row, "", "", ""])[:3]
        sku = sku.strip()
        quantity = _decimal(quantity_text, places=3)
        price = _decimal(price_text, places=2)
        if not sku:
            result.errors.append((line_no, "", "The SKU is missing."))
        elif quantity is None or not Decimal("0") < quantity <= MAX_QUANTITY:
            result.errors.append((line_no, sku, f"Bad minimum quantity “{quantity_text.strip()[:20]}”: above 0."))
        elif price is None or not Decimal("0") <= price <= MAX_PRICE:
            result.errors.append((line_no, sku, f"Bad unit price “{price_text.strip()[:20]}”: 0 or more, 2 decimals."))
        else:
            parsed.append((line_no, sku, quantity, price))
    products = dict(
        Product.objects.filter(sku__in={sku for _, sku, _, _ in parsed}, active=True).values_list("sku", "pk")
    )
    seen: dict[tuple[str, Decimal], int] = {}
    for line_no, sku, quantity, price in parsed:
        if sku not in products:
            result.errors.append((line_no, sku, "No active product has this SKU."))
        elif (sku, quantity) in seen:
            result.errors.append((line_no, sku, f"Same SKU and minimum quantity as line {seen[sku, quantity]}."))
        else:
            seen[sku, quantity] = line_no
            result.rows.append(PriceRow(product_id=products[sku], min_quantity=quantity, unit_price=price))
    result.errors.sort()
    return result
