"""Middleware of the portal's shell: messages as htmx toasts."""

from __future__ import annotations

import json


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
