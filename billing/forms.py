from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Currency, Customer


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class InvoiceEditForm(forms.Form):
    reason = forms.CharField(max_length=300)
    customer_po = forms.CharField(max_length=60, required=False, label=gettext_lazy("Customer PO"))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                max_digits=12,
                decimal_places=3,
                min_value=Decimal("0.001"),
                max_value=line.quantity,
                initial=line.quantity,
                label=line.description[:40],
                required=False,
            )

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data[f"qty_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"qty_{line.pk}") is not None
        }


class QuestionForm(forms.Form):
    question = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    answer = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    customer_po = forms.CharField(max_length=60, required=False, label=gettext_lazy("Customer PO"))


class CreditNoteForm(forms.Form):
    reason = forms.CharField(max_length=300)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                max_digits=12,
                decimal_places=3,
                min_value=Decimal("0"),
                max_value=line.quantity,
                required=False,
                label=_("%(description)s: quantity") % {"description": line.description[:40]},
            )
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0.01"),
                max_value=line.unit_price,
                required=False,
                label=_("at unit price"),
                initial=line.unit_price,
            )

    def credit_lines(self) -> dict[int, dict]:
        chosen = {}
        for line in self.lines:
            quantity = self.cleaned_data.get(f"qty_{line.pk}")
            if quantity:
                chosen[line.pk] = {
                    "quantity": quantity,
                    "unit_price": self.cleaned_data.get(f"price_{line.pk}") or line.unit_price,
                }
        return chosen


class PaymentForm(forms.Form):
    customer = forms.CharField(max_length=20, label=gettext_lazy("Customer code"))
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.ChoiceField(choices=Currency.choices)
    received_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=100, required=False)

    def clean_customer(self):
        code = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(code__iexact=code).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with code %(code)s.") % {"code": code})
        self.cleaned_data["customer_obj"] = customer
        return code
