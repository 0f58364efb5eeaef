from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Product, Site


class StockReceiveForm(forms.Form):
    sku = forms.CharField(max_length=40, label=gettext_lazy("SKU"))
    site = forms.ModelChoiceField(queryset=Site.objects.order_by("code"))
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    note = forms.CharField(max_length=300, required=False)

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku__iexact=sku, active=True).first()
        if product is None:
            raise forms.ValidationError(_("No active product with SKU %(sku)s.") % {"sku": sku})
        self.cleaned_data["product"] = product
        return sku


class StockAdjustForm(StockReceiveForm):
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, label=gettext_lazy("Change (+/-)"))
    note = forms.CharField(max_length=300, label=gettext_lazy("Reason"))


class ShipmentStartForm(forms.Form):
    order = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    site = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ShipmentPackForm(forms.Form):
    packages = forms.IntegerField(min_value=1, max_value=999, initial=1)
    weight_kg = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), label=gettext_lazy("Weight (kg)")
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"qty_{line.order_line_id}"] = forms.DecimalField(
                max_digits=12,
                decimal_places=3,
                min_value=Decimal("0"),
                max_value=line.quantity_picked,
                initial=line.quantity_packed,
                label=line.order_line.product.sku,
            )

    def quantities(self) -> dict[int, Decimal]:
        return {line.order_line_id: self.cleaned_data[f"qty_{line.order_line_id}"] for line in self.lines}


class ShipmentShipForm(forms.Form):
    carrier = forms.CharField(max_length=60)
    service = forms.CharField(max_length=60, required=False)
    tracking_number = forms.CharField(max_length=80)
    ship_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class ShipmentDeliverForm(forms.Form):
    delivered_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Leave empty for now."),
    )
