from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Site

from .models import Claim, ReturnAuthorization, ReturnLine

QTY = {"max_digits": 12, "decimal_places": 3}


class RmaCreateForm(forms.Form):
    reason = forms.ChoiceField(choices=ReturnAuthorization.Reason.choices)
    resolution = forms.ChoiceField(
        choices=ReturnAuthorization.Resolution.choices, label=gettext_lazy("Requested resolution")
    )
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, returnable=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = list(returnable)
        for row in self.returnable:
            self.fields[f"qty_{row.line.pk}"] = forms.DecimalField(
                **QTY, min_value=Decimal("0"), max_value=row.returnable, required=False, label=""
            )

    def rows(self):
        return [(row, self[f"qty_{row.line.pk}"]) for row in self.returnable]

    def clean(self):
        data = super().clean()
        if self.returnable and not any(data.get(f"qty_{row.line.pk}") for row in self.returnable):
            raise forms.ValidationError(_("Give a quantity for at least one line."))
        return data

    def quantities(self) -> dict[int, Decimal]:
        return {
            row.line.pk: self.cleaned_data[f"qty_{row.line.pk}"]
            for row in self.returnable
            if self.cleaned_data.get(f"qty_{row.line.pk}")
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Reason (required)")})
    )


class RmaReceiveForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.order_by("code"), label=gettext_lazy("Received at"))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"recv_{line.pk}"] = forms.DecimalField(
                **QTY, min_value=Decimal("0"), max_value=line.quantity, initial=line.quantity, label=""
            )

    def rows(self):
        return [(line, self[f"recv_{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data[f"recv_{line.pk}"] for line in self.lines}


class RmaInspectForm(forms.Form):
    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity_received > 0]
        for line in self.lines:
            self.fields[f"disp_{line.pk}"] = forms.ChoiceField(choices=ReturnLine.Disposition.choices, label="")
            self.fields[f"note_{line.pk}"] = forms.CharField(max_length=300, required=False, label="")

    def rows(self):
        return [(line, self[f"disp_{line.pk}"], self[f"note_{line.pk}"]) for line in self.lines]

    def dispositions(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data[f"disp_{line.pk}"] for line in self.lines}

    def notes(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data[f"note_{line.pk}"] for line in self.lines}


class PolicyForm(forms.Form):
    days_since_delivery = forms.IntegerField(min_value=0, max_value=3650, label=gettext_lazy("Days since delivery"))
    approval_hours = forms.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.1"), label=gettext_lazy("Approve within (h)")
    )
    refund_hours = forms.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.1"), label=gettext_lazy("Credit within (h)")
    )


class ClaimForm(forms.Form):
    invoice_id = forms.IntegerField(min_value=1, label=gettext_lazy("Invoice"))
    invoice_number = forms.CharField(max_length=30, required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=Claim.Kind.choices)
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, order_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = [line for line in order_lines if line.quantity_invoiced > 0]
        for line in self.order_lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                **QTY, min_value=Decimal("0"), max_value=line.quantity_invoiced, required=False, label=""
            )
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False, label=""
            )

    def rows(self):
        return [(line, self[f"qty_{line.pk}"], self[f"price_{line.pk}"]) for line in self.order_lines]

    def clean(self):
        data = super().clean()
        if not any(data.get(f"qty_{line.pk}") for line in self.order_lines):
            raise forms.ValidationError(_("Give a quantity for at least one line."))
        return data

    def lines(self) -> dict[int, dict]:
        return {
            line.pk: {
                "quantity": self.cleaned_data[f"qty_{line.pk}"],
                "unit_price": self.cleaned_data[f"price_{line.pk}"],
            }
            for line in self.order_lines
            if self.cleaned_data.get(f"qty_{line.pk}")
        }
