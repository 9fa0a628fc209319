"""Each signed-in user's language and time zone, applied to every request.

Runs after Django's LocaleMiddleware (which reads the browser's language and the language cookie)
and the authentication middleware. A language the user chose wins over the browser's; the time
zone (default Beijing time, the platform's) is active for the whole request so templates, forms
and `timezone.localtime()` show and read times in it. Times are stored in UTC regardless.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from apps.accounts.preferences import is_language, preference_update, preferences_for

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
            _set_language_cookie(response, language)
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


def _set_language_cookie(response, language: str) -> None:
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


class HtmxMessagesMiddleware:
    """Messages added while answering an htmx request become toasts.

    An htmx request swaps a fragment, so the page's message area is never re-rendered and a
    message would wait for the next full page. Instead the messages travel in the `HX-Trigger`
    header as the event `edmportal:toasts` (static/js/toasts.js shows them). Responses that send
    the browser elsewhere (redirects, HX-Redirect / HX-Refresh / HX-Location) keep them for the
    next page. Sits after MessageMiddleware so that the consumed messages are not stored again.
    """

    EVENT = "edmportal:toasts"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or request.headers.get("HX-Boosted"):
            return response
        if 300 <= response.status_code < 400 or any(
            h in response for h in ("HX-Redirect", "HX-Refresh", "HX-Location")
        ):
            return response
        storage = getattr(request, "_messages", None)
        if storage is None or storage.used:  # used: the fragment rendered them itself
            return response
        items = [{"level": m.level_tag or "info", "text": str(m)} for m in storage]
        if not items:
            return response
        triggers = {}
        if "HX-Trigger" in response:
            try:
                triggers = json.loads(response["HX-Trigger"])
            except ValueError:
                triggers = {name.strip(): None for name in response["HX-Trigger"].split(",")}
            if not isinstance(triggers, dict):
                triggers = {}
        triggers[self.EVENT] = items
        # Header values must be ASCII: json.dumps escapes Chinese as \uXXXX, htmx decodes it.
        response["HX-Trigger"] = json.dumps(triggers, ensure_ascii=True)
        return response
