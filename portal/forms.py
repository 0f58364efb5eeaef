from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from aftersales.models import TicketKind
from returns.models import ReturnAuthorization

from .models import NotificationKind

QTY = {"max_digits": 12, "decimal_places": 3}


class OrderSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=60,
        label=_("Search"),
        widget=forms.TextInput(attrs={"placeholder": _("Order number or your PO")}),
    )
    state = forms.ChoiceField(
        required=False,
        label=_("Show"),
        choices=[
            ("", _("All orders")),
            ("open", _("Open")),
            ("shipped", _("Shipped")),
            ("invoiced", _("Invoiced")),
            ("cancelled", _("Cancelled")),
        ],
    )


class ReturnRequestForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=ReturnAuthorization.Reason.choices)
    resolution = forms.ChoiceField(label=_("What would you like"), choices=ReturnAuthorization.Resolution.choices)
    note = forms.CharField(
        label=_("Anything we should know"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

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
        if not any(data.get(f"qty_{row.line.pk}") for row in self.returnable):
            raise forms.ValidationError(_("Give a quantity for at least one line."))
        return data

    def quantities(self) -> dict[int, Decimal]:
        return {
            row.line.pk: self.cleaned_data[f"qty_{row.line.pk}"]
            for row in self.returnable
            if self.cleaned_data.get(f"qty_{row.line.pk}")
        }


class ServiceRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What do you need"), choices=TicketKind.choices)
    line_no = forms.TypedChoiceField(label=_("Which product"), coerce=int, required=False, empty_value=None)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Describe the problem or the work"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_no"].choices = [("", _("The whole order"))] + [
            (line.line_no, f"{line.sku} · {line.name}") for line in lines
        ]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the portal and of our emails"), choices=())
    order_confirmed = forms.BooleanField(label=NotificationKind.ORDER_CONFIRMED.label, required=False)
    promise_changed = forms.BooleanField(label=NotificationKind.PROMISE_CHANGED.label, required=False)
    shipped = forms.BooleanField(label=NotificationKind.SHIPPED.label, required=False)
    invoice_issued = forms.BooleanField(label=NotificationKind.INVOICE_ISSUED.label, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, name) for code, name in settings.LANGUAGES]

    def notify(self) -> dict[str, bool]:
        return {kind.value: self.cleaned_data[kind.value] for kind in NotificationKind}


class ContactInviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, name) for code, name in settings.LANGUAGES]
        self.fields["username"].validators.append(UnicodeUsernameValidator())
