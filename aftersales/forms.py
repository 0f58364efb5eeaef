from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Customer, Order, OrderLine, Product

from .models import FeedbackTag, Technician, Ticket, TicketKind


class TicketForm(forms.Form):
    kind = forms.ChoiceField(choices=TicketKind.choices)
    priority = forms.ChoiceField(choices=Ticket.Priority.choices, initial=Ticket.Priority.NORMAL)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    order_line = forms.ModelChoiceField(
        queryset=OrderLine.objects.none(), required=False, label=gettext_lazy("Product delivered (warranty check)")
    )

    def __init__(self, *args, customer: Customer, order: Order | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        lines = OrderLine.objects.filter(order__customer=customer, quantity_shipped__gt=0).select_related(
            "order", "product"
        )
        if order is not None:
            lines = lines.filter(order=order)
        ids = list(lines.order_by("-order__created_at", "line_no").values_list("pk", flat=True)[:200])
        self.fields["order_line"].queryset = (
            OrderLine.objects.filter(pk__in=ids)
            .select_related("order", "product")
            .order_by("-order__created_at", "line_no")
        )
        self.fields["order_line"].label_from_instance = lambda line: (
            f"{line.order.number} line {line.line_no} · {line.product.sku} {line.product.name}"
        )


class VisitScheduleForm(forms.Form):
    technician = forms.ModelChoiceField(queryset=Technician.objects.none())
    scheduled_for = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Day"))

    def __init__(self, *args, technicians=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technicians is not None:
            self.fields["technician"].queryset = technicians
        self.fields["scheduled_for"].initial = timezone.localdate()


class VisitReportForm(forms.Form):
    hours = forms.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.1"), label=gettext_lazy("Hours on site")
    )
    work_done = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label=gettext_lazy("Work done")
    )
    resolved = forms.BooleanField(required=False, initial=True, label=gettext_lazy("The ticket's work is done"))
    feedback = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Feedback for sales"),
        help_text=gettext_lazy("What the customer said or you saw: needs, plans, competitors."),
    )
    tags = forms.ModelMultipleChoiceField(
        queryset=FeedbackTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Feedback tags"),
    )
    new_tag = forms.CharField(max_length=60, required=False, label=gettext_lazy("Other tag"))
    PART_ROWS = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(self.PART_ROWS):
            self.fields[f"part_sku_{i}"] = forms.CharField(max_length=40, required=False, label=_("Part (SKU)"))
            self.fields[f"part_qty_{i}"] = forms.DecimalField(
                max_digits=12, decimal_places=3, min_value=Decimal("0.001"), required=False, label=_("Quantity")
            )

    def part_rows(self):
        return [(self[f"part_sku_{i}"], self[f"part_qty_{i}"]) for i in range(self.PART_ROWS)]

    def clean(self):
        data = super().clean()
        parts = []
        for i in range(self.PART_ROWS):
            sku, qty = (data.get(f"part_sku_{i}") or "").strip(), data.get(f"part_qty_{i}")
            if not sku and qty is None:
                continue
            product = Product.objects.filter(sku__iexact=sku).first() if sku else None
            if product is None:
                self.add_error(f"part_sku_{i}", _("No product with this SKU."))
            elif qty is None:
                self.add_error(f"part_qty_{i}", _("How many?"))
            else:
                parts.append((product, qty))
        data["parts"] = parts
        return data

    def tag_names(self) -> list[str]:
        names = [tag.name for tag in self.cleaned_data["tags"]]
        if self.cleaned_data.get("new_tag"):
            names.append(self.cleaned_data["new_tag"])
        return names


class PlanForm(forms.Form):
    customer = forms.CharField(max_length=20, label=gettext_lazy("Customer code"))
    description = forms.CharField(max_length=200)
    interval_days = forms.IntegerField(min_value=1, max_value=3650, label=gettext_lazy("Every (days)"))
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("First visit"))
    technician = forms.ModelChoiceField(
        queryset=Technician.objects.filter(active=True).select_related("user"), required=False
    )

    def clean_customer(self):
        code = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(code__iexact=code).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this code."))
        return customer
