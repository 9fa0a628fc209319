from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.decorators import account_required

from . import selectors, services
from .health import FAIL, run_checks


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    """Database, broker and platform reachability as JSON: 200 ok/degraded, 503 fail."""
    report = run_checks()
    report["request_id"] = getattr(request, "id", "")
    return JsonResponse(report, status=503 if report["status"] == FAIL else 200)


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
