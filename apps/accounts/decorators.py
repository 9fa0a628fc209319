"""View guards: a signed-in user working in one of their platform accounts."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def account_required(view):
    """The view receives `request.account`, always an account the user is a member of."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.account:
            return render(request, "accounts/no_account.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
