"""Attach the platform account the signed-in user is working in as `request.account`, and the
scope inside it (the account itself or one of its sub-accounts) as `request.scope`."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from .preferences import is_language, preference_update, preferences_for
from .scope import scope_from_session
from .selectors import account_for_user

SESSION_KEY = "edmportal_account_id"


def _current_account(request):
    if not request.user.is_authenticated:
        return None
    return account_for_user(user=request.user, account_id=request.session.get(SESSION_KEY))


class CurrentAccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.account = SimpleLazyObject(lambda: _current_account(request))
        request.scope = SimpleLazyObject(lambda: scope_from_session(request))
        return self.get_response(request)


# -- each signed-in user's language and time zone ----------------------------------------------
# Each signed-in user's language and time zone, applied to every request.
#
# Runs after Django's LocaleMiddleware (which reads the browser's language and the language cookie)
# and the authentication middleware. A language the user chose wins over the browser's; the time
# zone (default Beijing time, the platform's) is active for the whole request so templates, forms
# and `timezone.localtime()` show and read times in it. Times are stored in UTC regardless.

# Set on the request by the sign-in receiver: the language cookie to send with the response.
LANGUAGE_COOKIE_ATTR = "_edmportal_language_cookie"


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._set_language_path = None

    def set_language_path(self) -> str:
        if self._set_language_path is None:
            self._set_language_path = reverse("set_language")
        return self._set_language_path

    def __call__(self, request):
        user = getattr(request, "user", None)
        prefs = preferences_for(user=user)
        request.preferences = prefs
        if prefs.language:
            translation.activate(prefs.language)
            request.LANGUAGE_CODE = translation.get_language()
        # Activated for every request (also anonymous ones): the zone is thread-local and would
        # otherwise leak from one request to the next in the same thread.
        timezone.activate(prefs.zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        self._remember_switch(request, response)
        language = getattr(request, LANGUAGE_COOKIE_ATTR, None)
        if language:
            set_language_cookie(response, language)
        return response

    def _remember_switch(self, request, response) -> None:
        """The header's language switch (Django's set_language view) is stored for the user."""
        if request.method != "POST" or request.path != self.set_language_path():
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        morsel = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if morsel is not None and is_language(morsel.value):
            preference_update(user=user, language=morsel.value)


def set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
