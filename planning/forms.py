from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Product

from .csv_io import MAX_IMPORT_BYTES, quantity_parse
from .months import month_parse, week_parse
from .selectors import product_families


class MonthField(forms.Field):
    """'YYYY-MM' -> the month's first day."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        month = month_parse(str(value)[:20])
        if month is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid_month")
        return month


class QuantityField(forms.Field):
    """A quantity >= 0 with at most 3 decimals; accepts what spreadsheets paste ('1,200')."""

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        quantity, error = quantity_parse(str(value)[:40])
        if quantity is None:
            raise forms.ValidationError(error, code="invalid_quantity")
        return quantity


class ProductFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Search"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("SKU or name")}),
    )
    family = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = [("", _("Every family")), *((f, f) for f in product_families())]


class ConsensusFilterForm(ProductFilterForm):
    month = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, months=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(f"{m:%Y-%m}", f"{m:%b %Y}") for m in months]


class GridCellForm(forms.Form):
    """One cell sent by the grid: product id, month and the typed text."""

    product = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    month = MonthField()
    quantity = QuantityField(required=True, error_messages={"required": gettext_lazy("Enter a quantity (0 for none).")})


class CellHistoryForm(forms.Form):
    product = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    month = MonthField()


class ConsensusSetForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True))
    month = MonthField()
    quantity = QuantityField(error_messages={"required": gettext_lazy("Enter the consensus quantity.")})
    rationale = forms.CharField(
        max_length=2000, error_messages={"required": gettext_lazy("Say why: a rationale is required.")}, strip=True
    )


class SignOffForm(forms.Form):
    month = MonthField()
    product = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": gettext_lazy("Choose a product.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; the service signs off only those with a consensus.
        self.fields["product"].valid_value = lambda value: str(value).isdigit() and 0 < int(value) < 2**63


class ForecastImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file (sku, month, quantity)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(MAX_IMPORT_BYTES)s MB.")
                % {"MAX_IMPORT_BYTES": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return upload


class CapacityFilterForm(forms.Form):
    start = forms.CharField(required=False, max_length=10)

    def clean_start(self):
        text = self.cleaned_data["start"]
        if not text:
            return None
        monday = week_parse(text)
        if monday is None:
            raise forms.ValidationError(_("Enter a week as YYYY-Www, e.g. 2026-W10."))
        return monday
