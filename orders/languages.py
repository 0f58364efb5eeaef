"""Languages: which ones OMC ships, the user's choice, and the customer's for documents.

English is the source language. A user picks the language of their pages with the switcher
(stored on their UserPreference and applied from the next login on by the middleware); a
customer's documents and emails use `Customer.document_language`, whoever sends them."""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext_lazy

SESSION_KEY = "omc_language"


def language_supported(code: str | None) -> str | None:
    """The shipped language that serves `code` ("zh-Hant-TW" -> "zh-hant"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def on_login(sender, request, user, **kwargs):
    """user_logged_in receiver: the user's stored language becomes the session's."""
    from .models import UserPreference

    language = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
    if language and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = language


@contextmanager
def customer_language(customer):
    """Render a document or email for a customer in their document language."""
    language = language_supported(getattr(customer, "document_language", None)) or settings.LANGUAGE_CODE
    with translation.override(language):
        yield


# Django's own Vietnamese and Thai catalogues lack the words of `timesince` ("5 minutes ago" on
# the order page); the same entries in our catalogues, which Django reads first, fill them.
TIMESINCE_WORDS = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)
