"""Attach the platform account the signed-in user is working in as `request.account`, and the
scope inside it (the account itself or one of its sub-accounts) as `request.scope`."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

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
