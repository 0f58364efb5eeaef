"""Loading a company's data from CSV or XLSX: customers, products, price lists and open orders.

Every import runs the real writes (the same services the pages use) inside one transaction,
each row or order in a savepoint so one bad row cannot hide the next one's error. A dry run,
or any error at all, rolls the whole transaction back: nothing is written unless every row
is good. Errors carry the file's line number (the header is line 1, as a spreadsheet shows).

Orders are created with orders.services.order_create and moved to "quoted" or "entered" with
order_transition, never by writing the status.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import services as order_services
from orders.errors import DomainError
from orders.models import Customer, Product
from orders.roles import CUSTOMER_EDITORS, ORDER_CREATORS, PRODUCT_EDITORS, user_has_role
from orders.states import OrderStatus
from pricing import services as pricing_services
from pricing.models import PriceList, PriceListItem
from pricing.selectors import PRICERS

MAX_ROWS = 50_000


class ImportFileError(Exception):
    """The file itself cannot be read (format, encoding, missing columns)."""


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ImportResult:
    kind: str
    rows: int
    dry_run: bool
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> bool:
        return self.ok and not self.dry_run


Row = tuple[int, dict[str, str]]  # (line number, {column: text})


# --- reading files ------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def table_read(*, filename: str, content: bytes) -> list[Row]:
    """Rows of a CSV (UTF-8, comma or semicolon) or XLSX file as (line, {lower-case column: text}).
    Blank lines are skipped but keep their numbers, so errors point at the right line."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        raw = _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        raw = _csv_rows(content)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    if not raw:
        raise ImportFileError(_("The file is empty."))
    header = [column.strip().lower() for column in raw[0]]
    rows = []
    for index, values in enumerate(raw[1:], start=2):
        if not any(str(v).strip() for v in values):
            continue
        rows.append(
            (index, {column: (values[i].strip() if i < len(values) else "") for i, column in enumerate(header)})
        )
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("At most %(rows)s rows per file; split it.") % {"rows": MAX_ROWS})
    return rows


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The CSV file is not UTF-8 text.")) from None
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportFileError(_("The XLSX file cannot be read.")) from None
    sheet = workbook.worksheets[0]
    rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


# --- row validation with forms -------------------------------------------------------------


class _RowInvalid(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors


def _form_errors(line: int, form: forms.BaseForm) -> list[RowError]:
    return [RowError(line, column, message) for column, messages in form.errors.items() for message in messages]


def _valid(line: int, form: forms.BaseForm) -> dict:
    if not form.is_valid():
        raise _RowInvalid(_form_errors(line, form))
    return form.cleaned_data


class CustomerRowForm(forms.ModelForm):
    sales_rep = forms.CharField(required=False, help_text=gettext_lazy("The sales rep's username."))

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "tier",
            "credit_limit",
            "payment_terms_days",
            "currency",
            "billing_email",
            "invoice_grouping",
            "po_required",
            "active",
        ]

    def clean_sales_rep(self):
        username = self.cleaned_data["sales_rep"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationError(_("No user '%(username)s'.") % {"username": username})
        return user

    def validate_unique(self):
        """The code may exist: the row then updates that customer."""


class ProductRowForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "family", "unit", "standard_cost", "list_price", "currency", "active"]

    def validate_unique(self):
        """The SKU may exist: the row then updates that product."""


class PriceRowForm(forms.Form):
    price_list = forms.CharField(max_length=100)
    currency = forms.ChoiceField(choices=PriceList._meta.get_field("currency").choices)
    valid_from = forms.DateField()
    valid_to = forms.DateField(required=False)
    sku = forms.CharField(max_length=40)
    min_quantity = forms.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"), required=False)
    unit_price = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))

    def clean_sku(self):
        product = Product.objects.filter(sku=self.cleaned_data["sku"]).first()
        if product is None:
            raise ValidationError(_("No product with SKU '%(sku)s'.") % {"sku": self.cleaned_data["sku"]})
        return product

    def clean(self):
        data = super().clean()
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            self.add_error("valid_to", _("Ends before it starts."))
        return data


IMPORT_STATUSES = [OrderStatus.DRAFT, OrderStatus.QUOTED, OrderStatus.ENTERED]
STATUS_ACTION = {OrderStatus.QUOTED: "quote", OrderStatus.ENTERED: "submit"}


class OrderRowForm(forms.Form):
    order_ref = forms.CharField(max_length=60)
    customer_code = forms.CharField(max_length=20)
    customer_po = forms.CharField(max_length=60, required=False)
    requested_date = forms.DateField(required=False)
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in IMPORT_STATUSES], required=False)
    sku = forms.CharField(max_length=40)
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    discount_percent = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )

    def clean_customer_code(self):
        customer = Customer.objects.filter(code=self.cleaned_data["customer_code"]).first()
        if customer is None:
            raise ValidationError(_("No customer with code '%(code)s'.") % {"code": self.cleaned_data["customer_code"]})
        return customer

    def clean_sku(self):
        product = Product.objects.filter(sku=self.cleaned_data["sku"]).first()
        if product is None:
            raise ValidationError(_("No product with SKU '%(sku)s'.") % {"sku": self.cleaned_data["sku"]})
        return product


# --- the kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    columns: tuple[str, ...]  # required columns first
    required: tuple[str, ...]
    roles: frozenset
    staff_may: bool  # staff (admins) may import it without holding one of the roles
    group_by: str = ""  # rows sharing this column's value are one unit (one order, one price list)
    note: str = ""

    def allowed(self, user) -> bool:
        return (self.staff_may and user.is_staff) or user_has_role(user, self.roles)


KINDS = {
    kind.key: kind
    for kind in [
        ImportKind(
            "customers",
            gettext_lazy("Customers"),
            (
                "code",
                "name",
                "tier",
                "credit_limit",
                "payment_terms_days",
                "currency",
                "sales_rep",
                "billing_email",
                "invoice_grouping",
                "po_required",
                "active",
            ),
            ("code", "name"),
            CUSTOMER_EDITORS,
            True,
            note=gettext_lazy("An existing code updates that customer. sales_rep is a username."),
        ),
        ImportKind(
            "products",
            gettext_lazy("Products"),
            ("sku", "name", "family", "unit", "standard_cost", "list_price", "currency", "active"),
            ("sku", "name"),
            PRODUCT_EDITORS,
            True,
            note=gettext_lazy("An existing SKU updates that product."),
        ),
        ImportKind(
            "price_lists",
            gettext_lazy("Price lists"),
            ("price_list", "currency", "valid_from", "valid_to", "sku", "min_quantity", "unit_price"),
            ("price_list", "currency", "valid_from", "sku", "unit_price"),
            PRICERS,
            True,
            group_by="price_list",
            note=gettext_lazy(
                "One row per price (break); rows with the same price_list, currency and valid_from form one list."
            ),
        ),
        ImportKind(
            "orders",
            gettext_lazy("Open orders"),
            (
                "order_ref",
                "customer_code",
                "customer_po",
                "requested_date",
                "status",
                "sku",
                "quantity",
                "unit_price",
                "discount_percent",
            ),
            ("order_ref", "customer_code", "sku", "quantity"),
            ORDER_CREATORS,
            False,
            group_by="order_ref",
            note=gettext_lazy(
                "One row per order line; rows with the same order_ref form one order. status is draft, "
                "quoted or entered (moved there through the normal transition, with its checks)."
            ),
        ),
    ]
}


def _form_data(row: dict, columns) -> dict:
    data = {column: row.get(column, "") for column in columns if row.get(column, "") != ""}
    for flag in ("active", "po_required"):
        if flag in data:
            data[flag] = data[flag].strip().lower() in ("1", "true", "yes", "y", "x")
    return data


def _fill_blanks(data: dict, model, fields, existing) -> None:
    """Columns left out or empty keep an existing row's values, or take the model's defaults."""
    for name in fields:
        if name not in data:
            field = model._meta.get_field(name)
            data[name] = getattr(existing, name) if existing is not None else field.get_default()


def _apply_customer(rows: list[Row], user) -> str:
    ((line, row),) = rows
    existing = Customer.objects.filter(code=row.get("code", "")).first()
    data = _form_data(row, KINDS["customers"].columns)
    _fill_blanks(data, Customer, CustomerRowForm.Meta.fields, existing)
    form = CustomerRowForm(data, instance=existing)
    cleaned = _valid(line, form)
    customer = form.save(commit=False)
    if "sales_rep" in data:
        customer.sales_rep = cleaned["sales_rep"]
    customer.save()  # the form validated fields and constraints; the unique code is the lookup key
    return "updated" if existing else "created"


def _apply_product(rows: list[Row], user) -> str:
    ((line, row),) = rows
    existing = Product.objects.filter(sku=row.get("sku", "")).first()
    data = _form_data(row, KINDS["products"].columns)
    _fill_blanks(data, Product, ProductRowForm.Meta.fields, existing)
    form = ProductRowForm(data, instance=existing)
    _valid(line, form)
    product = form.save(commit=False)
    product.save()
    return "updated" if existing else "created"


def _apply_price_list(rows: list[Row], user) -> str:
    errors, items = [], []
    for line, row in rows:
        form = PriceRowForm(_form_data(row, KINDS["price_lists"].columns))
        if form.is_valid():
            items.append((line, form.cleaned_data))
        else:
            errors.extend(_form_errors(line, form))
    if errors:
        raise _RowInvalid(errors)
    first_line, head = items[0]
    for line, data in items[1:]:
        for key in ("currency", "valid_from", "valid_to"):
            if data[key] != head[key]:
                errors.append(
                    RowError(line, key, _("Differs from line %(line)s of the same price list.") % {"line": first_line})
                )
    if errors:
        raise _RowInvalid(errors)
    price_list = PriceList.objects.filter(
        name=head["price_list"], currency=head["currency"], valid_from=head["valid_from"]
    ).first()
    outcome = "updated"
    if price_list is None:
        try:
            pricing_services.price_list_check_overlap(
                currency=head["currency"],
                valid_from=head["valid_from"],
                valid_to=head["valid_to"],
                name=head["price_list"],
            )
        except DomainError as error:
            raise _RowInvalid(_domain_errors(first_line, error)) from None
        price_list = PriceList.objects.create(
            name=head["price_list"], currency=head["currency"], valid_from=head["valid_from"], valid_to=head["valid_to"]
        )
        outcome = "created"
    for _line, data in items:
        PriceListItem.objects.update_or_create(
            price_list=price_list,
            product=data["sku"],
            min_quantity=data["min_quantity"] or Decimal("1"),
            defaults={"unit_price": data["unit_price"]},
        )
    return outcome


def _apply_order(rows: list[Row], user) -> str:
    errors, lines = [], []
    for line, row in rows:
        form = OrderRowForm(_form_data(row, KINDS["orders"].columns))
        if form.is_valid():
            lines.append((line, form.cleaned_data))
        else:
            errors.extend(_form_errors(line, form))
    if errors:
        raise _RowInvalid(errors)
    first_line, head = lines[0]
    for line, data in lines[1:]:
        for key in ("customer_code", "customer_po", "requested_date", "status"):
            if data[key] != head[key]:
                errors.append(
                    RowError(line, key, _("Differs from line %(line)s of the same order.") % {"line": first_line})
                )
    if errors:
        raise _RowInvalid(errors)
    try:
        order = order_services.order_create(
            customer=head["customer_code"],
            created_by=user,
            customer_po=head["customer_po"],
            requested_date=head["requested_date"],
            lines=[
                {
                    "product": data["sku"],
                    "quantity": data["quantity"],
                    "unit_price": data["unit_price"],
                    "discount_percent": data["discount_percent"],
                }
                for _line, data in lines
            ],
        )
        action = STATUS_ACTION.get(head["status"] or OrderStatus.DRAFT)
        if action:
            order_services.order_transition(
                order_id=order.pk, action=action, actor=user, note=f"Imported as {head['order_ref']}"
            )
    except DomainError as error:
        raise _RowInvalid(_domain_errors(first_line, error)) from None
    return "created"


APPLY: dict[str, Callable] = {
    "customers": _apply_customer,
    "products": _apply_product,
    "price_lists": _apply_price_list,
    "orders": _apply_order,
}


def _domain_errors(line: int, error: DomainError) -> list[RowError]:
    if error.field_errors:
        return [
            RowError(line, column, message) for column, messages in error.field_errors.items() for message in messages
        ]
    return [RowError(line, "", error.message)]


def _groups(kind: ImportKind, rows: list[Row]) -> list[list[Row]]:
    if not kind.group_by:
        return [[row] for row in rows]
    groups: dict[tuple, list[Row]] = {}
    for line, row in rows:
        key = (row.get(kind.group_by, ""), row.get("currency", ""), row.get("valid_from", ""))
        if kind.key == "orders":
            key = (row.get("order_ref", ""),)
        groups.setdefault(key, []).append((line, row))
    return list(groups.values())


class _Rollback(Exception):
    pass


def import_run(*, kind: str, rows: list[Row], user, dry_run: bool, progress=None) -> ImportResult:
    """Import `rows` of one kind, all or nothing. With dry_run, or when any row is bad, nothing
    is kept and the result lists every error by line; otherwise every row is written."""
    spec = KINDS[kind]
    result = ImportResult(kind=kind, rows=len(rows), dry_run=dry_run)
    present = set(rows[0][1]) if rows else set()
    missing = [column for column in spec.required if column not in present]
    if rows and missing:
        result.errors.append(RowError(1, ", ".join(missing), _("Missing column(s).")))
        return result
    seen: dict[str, int] = {}
    unique = {"customers": "code", "products": "sku"}.get(kind)
    try:
        with transaction.atomic():
            for group in _groups(spec, rows):
                if unique:
                    line, row = group[0]
                    value = row.get(unique, "")
                    if value and value in seen:
                        result.errors.append(
                            RowError(line, unique, _("Also on line %(line)s.") % {"line": seen[value]})
                        )
                        continue
                    seen[value] = line
                try:
                    with transaction.atomic():
                        outcome = APPLY[kind](group, user)
                except _RowInvalid as invalid:
                    result.errors.extend(invalid.errors)
                except ValidationError as error:
                    result.errors.extend(
                        RowError(group[0][0], column if column != "__all__" else "", message)
                        for column, messages in error.message_dict.items()
                        for message in messages
                    )
                except DatabaseError as error:
                    result.errors.append(
                        RowError(
                            group[0][0], "", (_("Rejected by the database: %(error)s") % {"error": error}).strip()[:300]
                        )
                    )
                else:
                    setattr(result, outcome, getattr(result, outcome) + 1)
                if progress is not None:
                    progress.advance(len(group))
            if dry_run or result.errors:
                raise _Rollback
    except _Rollback:
        pass
    if result.errors:
        result.created = result.updated = 0
    result.errors.sort(key=lambda error: error.line)
    return result
