from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import WorkCenter

from .models import CapacityException
from .selectors import BOARD_DAYS_DEFAULT, BOARD_DAYS_MAX


class BoardWindowForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(required=False, min_value=1, max_value=BOARD_DAYS_MAX, initial=BOARD_DAYS_DEFAULT)
    site = forms.IntegerField(required=False, min_value=1)
    page = forms.IntegerField(required=False, min_value=1)


class JobStepForm(forms.Form):
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ExpediteRequestForm(forms.Form):
    order = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    needed_by = forms.DateField(label=gettext_lazy("Needed by"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Why the customer needs it")})
    )


class ExpediteDecisionForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, label=gettext_lazy("Reason / note"))


class CapacityExceptionForm(forms.Form):
    work_center = forms.ModelChoiceField(queryset=WorkCenter.objects.filter(active=True).order_by("code"))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=CapacityException.Kind.choices)
    hours = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("24"), required=False, initial=0
    )
    note = forms.CharField(max_length=200, required=False)

    def clean(self):
        data = super().clean()
        kind, hours = data.get("kind"), data.get("hours")
        if kind and kind != CapacityException.Kind.HOLIDAY and not hours:
            self.add_error("hours", _("Give the hours (more than 0)."))
        return data
