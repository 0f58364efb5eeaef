"""The language switcher: Django's set_language (a CSRF-protected POST that sets the language
cookie and redirects back), and for a signed-in user the choice is stored on their preference
and applied to their session at once."""

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import services
from .languages import SESSION_KEY, language_supported


@login_not_required
@require_POST
def language_set(request):
    response = set_language(request)
    language = language_supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    return response
