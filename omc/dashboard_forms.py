"""Input of the dashboard pages and the KPI API: the filter bar and the targets form."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Customer, Product, Site

from . import kpis

PERIOD_CHOICES = [
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("180", gettext_lazy("Last 180 days")),
    ("365", gettext_lazy("Last 365 days")),
]


class KpiFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, initial=kpis.DEFAULT_PERIOD)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    site = forms.ModelChoiceField(
        queryset=Site.objects.order_by("code"), required=False, empty_label=gettext_lazy("All sites")
    )
    tier = forms.ChoiceField(choices=[("", gettext_lazy("All tiers")), *Customer.Tier.choices], required=False)
    sales_rep = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(customers__isnull=False).distinct().order_by("username"),
        required=False,
        empty_label=gettext_lazy("All sales reps"),
    )
    family = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        families = Product.objects.exclude(family="").order_by("family").values_list("family", flat=True).distinct()
        self.fields["family"].choices = [("", _("All product families")), *((f, f) for f in families)]
        self.fields["sales_rep"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError(_("Give both a start and an end date, or neither."))
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def filters(self) -> kpis.Filters:
        data = self.cleaned_data
        return kpis.filters_build(
            period=data.get("period") or kpis.DEFAULT_PERIOD,
            start=data.get("start"),
            end=data.get("end"),
            site_id=data["site"].pk if data.get("site") else None,
            tier=data.get("tier") or None,
            sales_rep_id=data["sales_rep"].pk if data.get("sales_rep") else None,
            family=data.get("family") or None,
        )


class KpiTargetsForm(forms.Form):
    """One optional decimal per KPI; empty removes the target."""

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.current = current or {}
        for kpi in kpis.KPIS:
            target = current.get(kpi.key)
            self.fields[kpi.key] = forms.DecimalField(
                label=kpi.label,
                required=False,
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0"),
                initial=target.target if target else None,
                help_text=kpi.definition,
            )

    def rows(self):
        return [(kpi, self[kpi.key], self.current.get(kpi.key)) for kpi in kpis.KPIS]
