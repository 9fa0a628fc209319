"""Request-size limits, enforced before a view reads anything.

Every POST may carry at most UPLOAD_MAX_REQUEST_BYTES, unless its view allows more with
`@upload_limit(...)` (the contact import allows its 300 MB files). A request whose
Content-Length is over its view's limit is refused with a page that says so, before its body is
parsed: the body is drained in small chunks and thrown away, so memory stays flat. Under the limit,
each file is counted while it streams in (`FileSizeLimitHandler`, ahead of Django's own handlers,
which spill files over FILE_UPLOAD_MAX_MEMORY_SIZE to disk); one over its view's per-file limit
stops the upload and gets the same page. Django itself caps the form fields
(DATA_UPLOAD_MAX_MEMORY_SIZE), gunicorn the request line and headers (gunicorn.conf.py), and the
proxy in front the body (client_max_body_size; docs/OPERATIONS.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.datastructures import MultiValueDict

from .redirects import safe_next

logger = logging.getLogger(__name__)

_DRAIN_CHUNK = 256 * 1024


@dataclass(frozen=True)
class UploadLimits:
    request_bytes: int
    file_bytes: int


def upload_limit(*, request_bytes: int, file_bytes: int | None = None):
    """Let this view receive bigger requests (and files of up to `file_bytes` each)."""

    def decorate(view):
        view.upload_limits = UploadLimits(request_bytes, file_bytes or request_bytes)
        return view

    return decorate


def limits_for(request) -> UploadLimits:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    limits = getattr(match.func, "upload_limits", None) if match else None
    if limits is None:
        default = settings.UPLOAD_MAX_REQUEST_BYTES
        limits = UploadLimits(default, default)
    return limits


class FileSizeLimitHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive; past the limit the upload stops there."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_refused_limit = self.limit
            raise StopUpload(connection_reset=False)  # Django drains the rest, chunk by chunk
        return raw_data

    def file_complete(self, file_size):
        return None


def _drain(request) -> None:
    stream = request._stream  # Django's LimitedStream: never more than Content-Length
    while stream.read(_DRAIN_CHUNK):
        pass


def too_large_response(request, limit: int):
    response = render(
        request,
        "core/upload_too_large.html",
        {
            "limit": filesizeformat(limit),
            "back": safe_next(request, "accounts:overview", use_referer=True),
        },
        status=413,
    )
    response["Connection"] = "close"
    return response


class UploadLimitMiddleware:
    """Installs the limits before CsrfViewMiddleware (or anything else) reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH"):
            limits = limits_for(request)
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limits.request_bytes:
                logger.warning(
                    "refused a %s-byte request to %s (limit %s)",
                    length,
                    request.path,
                    limits.request_bytes,
                )
                _drain(request)
                request._post, request._files = QueryDict(), MultiValueDict()  # nothing read
                return too_large_response(request, limits.request_bytes)
            if request.content_type == "multipart/form-data":
                request.upload_handlers.insert(0, FileSizeLimitHandler(request, limits.file_bytes))
                request.POST  # noqa: B018 - parse now, with the handler, as CSRF would
                refused = getattr(request, "upload_refused_limit", None)
                if refused is not None:
                    return too_large_response(request, refused)
        return self.get_response(request)
