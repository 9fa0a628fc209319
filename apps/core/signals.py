"""At sign-in: apply the user's stored language, or remember the one chosen before signing in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from apps.accounts.preferences import is_language, preference_update, preferences_for

from .middleware import LANGUAGE_COOKIE_ATTR


@receiver(user_logged_in, dispatch_uid="core.apply_language_at_sign_in")
def apply_language_at_sign_in(sender, request, user, **kwargs):
    if request is None:
        return
    prefs = preferences_for(user=user)
    language = prefs.language
    if not language:
        # A language picked on the sign-in page (the cookie, not merely the browser's default)
        # is an explicit choice: remember it for this user from now on.
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if is_language(chosen):
            preference_update(user=user, language=chosen)
            language = chosen
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        setattr(request, LANGUAGE_COOKIE_ATTR, language)
