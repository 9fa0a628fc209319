"""View guards: a signed-in user working in one of their platform accounts, with enough rights."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Membership

# Each role includes the rights of those before it.
ROLE_ORDER = [
    Membership.Role.VIEWER,
    Membership.Role.EDITOR,
    Membership.Role.SENDER,
    Membership.Role.OWNER,
]


def role_allows(role: str, needed: str) -> bool:
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


def account_required(
    view=None, *, role: str = Membership.Role.VIEWER, write_role: str | None = None
):
    """The view gets `request.account` (an account the user is a member of) and
    `request.membership`; users whose role is below `role` get a 403 page. A page that reads
    with GET and changes something with POST names the role for the change as `write_role`.

    Use as `@account_required` for reads and `@account_required(role="editor")` for writes
    (editor: contacts and templates; sender: campaigns; owner: domains and settings).
    """

    def decorate(view_func):
        @login_required
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.account:
                return render(request, "accounts/no_account.html", status=403)
            membership = Membership.objects.filter(
                user=request.user, account=request.account
            ).first()
            # Staff acting on an account they do not belong to only ever read.
            current_role = membership.role if membership else Membership.Role.VIEWER
            request.membership = membership
            needed = role
            if write_role and request.method not in ("GET", "HEAD", "OPTIONS"):
                needed = write_role
            if not role_allows(current_role, needed):
                return render(
                    request,
                    "accounts/forbidden.html",
                    {"needed": Membership.Role(needed).label},
                    status=403,
                )
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
