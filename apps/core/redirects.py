"""Where to send the browser after a form: a `next` the request names, only if it stays here."""

from __future__ import annotations

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def is_safe_target(request, target: str | None) -> bool:
    """Django's own check: same host (no other site, no `//host`, no `javascript:`), and https
    when this request came over https."""
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next(request, fallback: str, *, use_referer: bool = False) -> str:
    """POST (or GET) `next`, else optionally the Referer, when safe; otherwise `fallback` (a URL
    or a URL name)."""
    candidates = [request.POST.get("next"), request.GET.get("next")]
    if use_referer:
        candidates.append(request.META.get("HTTP_REFERER"))
    for target in candidates:
        if target and is_safe_target(request, target):
            return target
    return resolve_url(fallback)


def named_next(request) -> str:
    """The safe `next` the request names (POST, then GET), or "" when it names none."""
    for target in (request.POST.get("next"), request.GET.get("next")):
        if target and is_safe_target(request, target):
            return target
    return ""
