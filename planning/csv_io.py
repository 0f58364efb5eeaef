"""Reading what people type, paste and upload: quantities, and forecast CSV files
(columns sku, month YYYY-MM, quantity). Shapes only; business rules are in services."""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from orders.models import Product

from .months import month_parse
from .services import ForecastEntry, forecast_entry_errors

CSV_COLUMNS = ["sku", "month", "quantity"]
MAX_IMPORT_ROWS = 50_000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_QUANTITY = Decimal("999999999.999")  # what the QUANTITY columns hold
# Spreadsheets copy 1200 as "1,200": commas are thousands separators only in that shape.
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")


def quantity_parse(text) -> tuple[Decimal | None, str]:
    """(quantity, "") for a valid quantity, else (None, the reason)."""
    raw = str(text if text is not None else "").strip().replace("\u00a0", "").replace(" ", "")
    if not raw:
        return None, _("Enter a quantity (0 for none).")
    if _THOUSANDS.match(raw):
        raw = raw.replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None, f"“{str(text)[:20]}” is not a number."
    if not value.is_finite():
        return None, f"“{str(text)[:20]}” is not a number."
    if value < 0:
        return None, "A quantity cannot be negative."
    if value > MAX_QUANTITY:
        return None, _("That quantity is too large.")
    if value != value.quantize(Decimal("0.001")):
        return None, _("At most 3 decimals.")
    return value.quantize(Decimal("0.001")), ""


@dataclass
class ImportResult:
    entries: list[ForecastEntry] = field(default_factory=list)
    # (line number in the file, sku, message), in file order
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    rows_read: int = 0


def forecast_csv_read(data: bytes) -> ImportResult:
    """Parse an uploaded forecast CSV and check every row (shape and business rules), so that
    the caller can import all rows or none and show every problem at once."""
    result = ImportResult()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((1, "", _("The file is not UTF-8 text (save it as CSV UTF-8).")))
        return result
    sample = text[:2048]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") and sample.count("\t") else csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [column.strip().lower() for column in next(reader, [])]
    if header[:3] != CSV_COLUMNS:
        result.errors.append((1, "", _("The first line must be the header: sku,month,quantity")))
        return result
    parsed = []  # (line, sku, month, quantity)
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_IMPORT_ROWS:
            result.errors.append(
                (
                    line_no,
                    "",
                    _("Too many rows: at most %(MAX_IMPORT_ROWS)s per file.") % {"MAX_IMPORT_ROWS": MAX_IMPORT_ROWS},
                )
            )
            return result
        sku, month_text, quantity_text = ([*row, "", "", ""])[:3]
        sku = sku.strip()
        month = month_parse(month_text)
        quantity, quantity_error = quantity_parse(quantity_text)
        if not sku:
            result.errors.append((line_no, sku, _("The SKU is missing.")))
        elif month is None:
            result.errors.append(
                (line_no, sku, _("Bad month “%(strip)s”: use YYYY-MM.") % {"strip": month_text.strip()[:20]})
            )
        elif quantity is None:
            result.errors.append((line_no, sku, quantity_error))
        else:
            parsed.append((line_no, sku, month, quantity))
    products = dict(Product.objects.filter(sku__in={row[1] for row in parsed}, active=True).values_list("sku", "pk"))
    checked = []
    for line_no, sku, month, quantity in parsed:
        if sku not in products:
            result.errors.append((line_no, sku, _("Unknown SKU “%(sku)s”.") % {"sku": sku[:40]}))
        else:
            checked.append((line_no, sku, ForecastEntry(product_id=products[sku], month=month, quantity=quantity)))
    rule_errors = forecast_entry_errors(entries=[row[2] for row in checked])
    for index, (_entry, message) in rule_errors.items():
        line_no, sku, _entry = checked[index]
        result.errors.append((line_no, sku, message))
    result.errors.sort()
    if not result.errors:
        result.entries = [entry for _, _, entry in checked]
    return result


class _Echo:
    """A file that hands back what is written, so csv.writer can feed a streaming response."""

    def write(self, value):
        return value


def forecast_csv_lines(rows):
    """Yield the CSV the import reads, line by line, from (sku, month date, quantity) rows."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for sku, month, quantity in rows:
        yield writer.writerow([sku, f"{month:%Y-%m}", quantity_text(quantity)])


def quantity_text(value: Decimal | None) -> str:
    """120.000 -> '120', 12.500 -> '12.5'."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        return str(value)
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
