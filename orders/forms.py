from django import forms
from django.utils.translation import gettext_lazy

from .roles import Department
from .states import OrderStatus


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Search"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Order, PO or customer")}),
    )
    status = forms.ChoiceField(required=False, choices=[("", gettext_lazy("Any status")), *OrderStatus.choices])
    owner_department = forms.ChoiceField(
        required=False, label=gettext_lazy("Owner"), choices=[("", gettext_lazy("Any department")), *Department.choices]
    )
    overdue = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("Overdue or not")),
            ("yes", gettext_lazy("Overdue only")),
            ("no", gettext_lazy("Not overdue")),
        ],
    )


class OrderActionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PromiseChangeForm(forms.Form):
    new_date = forms.DateField(label="New promised date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=500, label="Reason (internal)")
    customer_reason = forms.CharField(
        max_length=500,
        required=False,
        label="Reason shared with the customer",
        help_text="Leave empty to tell the customer only the new date.",
    )
