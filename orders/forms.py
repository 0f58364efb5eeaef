from django import forms

from .roles import Department
from .states import OrderStatus


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Order, PO or customer"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *OrderStatus.choices])
    owner_department = forms.ChoiceField(
        required=False, label="Owner", choices=[("", "Any department"), *Department.choices]
    )
    overdue = forms.ChoiceField(
        required=False, choices=[("", "Overdue or not"), ("yes", "Overdue only"), ("no", "Not overdue")]
    )


class OrderActionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
