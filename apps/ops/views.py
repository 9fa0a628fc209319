from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.decorators import account_required

from . import selectors, services
from .health import FAIL, run_checks


def _may_see_health_details(request) -> bool:
    """Staff (signed in to admin) or a caller with OPS_HEALTH_TOKEN; strangers see the status."""
    token = settings.OPS_HEALTH_TOKEN
    if token:
        given = request.headers.get("X-Health-Token", "")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            given = given or auth[len("Bearer ") :]
        if given and constant_time_compare(given, token):
            return True
    user = getattr(request, "user", None)
    if user is None and request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        # HealthzMiddleware answers before the session middleware: read the session here.
        engine = import_module(settings.SESSION_ENGINE)
        request.session = engine.SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME])
        user = get_user(request)
    return bool(user is not None and user.is_active and user.is_staff)


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    """Database, broker and platform reachability: 200 ok/degraded, 503 fail. Strangers get the
    status only; the checks' details (broker, platform URL, host names, errors) need staff or
    the OPS_HEALTH_TOKEN."""
    report = run_checks()
    status = 503 if report["status"] == FAIL else 200
    if not _may_see_health_details(request):
        return JsonResponse({"status": report["status"]}, status=status)
    report["request_id"] = getattr(request, "id", "")
    return JsonResponse(report, status=status)


@account_required(role="owner")
def resync_view(request):
    jobs = selectors.resync_jobs(account=request.account)
    return render(
        request,
        "ops/resync.html",
        {"jobs": jobs, "active": any(j.is_active for j in jobs), "steps": selectors.steps()},
    )


@account_required(role="owner")
def resync_jobs_partial(request):
    jobs = selectors.resync_jobs(account=request.account)
    return render(
        request,
        "ops/_resync_jobs.html",
        {"jobs": jobs, "active": any(j.is_active for j in jobs), "steps": selectors.steps()},
    )


@require_POST
@account_required(role="owner")
def resync_start_view(request):
    job, created = services.resync_job_start(account=request.account, user=request.user)
    if created:
        messages.success(request, _("The resync has been queued. This page shows its progress."))
    else:
        messages.info(request, _("A resync of this account is already under way."))
    return redirect("ops:resync")
