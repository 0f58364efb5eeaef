"""Who may use the portal: a logged-in user linked to a customer (a CustomerContact) — nobody
else, internal staff included (403). Login itself is enforced by the middleware."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from . import selectors


def contact_required(view):
    """Run the view with `request.contact` (the user's CustomerContact, its customer loaded), in
    the contact's language; 403 for a user who is not a customer contact."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        contact = selectors.contact_for_user(request.user)
        if contact is None:
            raise PermissionDenied(_("The customer portal is for our customers' contacts."))
        request.contact = contact
        with translation.override(contact.language):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper
