"""The signed-in user's own language, over the browser's (docs/i18n.md).

The language is read from the user's preference once, at login (orders.languages.on_login),
and kept in the session, so a page costs no extra query."""

from django.utils import translation

from .languages import SESSION_KEY


def user_language(get_response):
    def middleware(request):
        language = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if language and request.user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return get_response(request)

    return middleware
