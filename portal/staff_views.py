"""Pages for the company's own people: give a customer's contacts a portal login, take it away,
and the page where an invited contact sets a password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.access import role_required
from orders.models import Customer
from orders.page_steps import run_step
from orders.roles import CUSTOMER_EDITORS

from . import services
from .forms import ContactInviteForm
from .models import CustomerContact


def _customer_or_404(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


@require_POST
@role_required(CUSTOMER_EDITORS)
def contact_invite(request, customer_id: int):
    customer = _customer_or_404(customer_id)
    form = ContactInviteForm(request.POST)

    def run(data):
        services.contact_invite(customer=customer, invited_by=request.user, **data)

    return run_step(
        request,
        form=form,
        run=run,
        done=_("The contact is invited: they will receive an email to set their password."),
        then=redirect("orders:customer_detail", customer.pk),
    )


@require_POST
@role_required(CUSTOMER_EDITORS)
def contact_deactivate(request, customer_id: int, contact_id: int):
    customer = _customer_or_404(customer_id)
    try:
        contact = services.contact_deactivate(contact_id=contact_id, customer_id=customer.pk)
    except CustomerContact.DoesNotExist:
        raise Http404("No such contact.") from None
    messages.success(request, _("%(user)s can no longer log in.") % {"user": contact.user.get_username()})
    return redirect("orders:customer_detail", customer.pk)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invited contact chooses a password (Django's one-time token; no login needed)."""

    template_name = "portal/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set. Log in to see your orders."))
        return super().form_valid(form)
