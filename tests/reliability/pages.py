"""Table-driven checks of pages and background jobs under an injected fault.

Each area lists the pages that talk to the platform as `Page` rows and its jobs as `Job` rows;
one parametrized test per area runs them all under each fault of BREAKING_FAULTS and collects
every problem, so a failure names the page and what was wrong with it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from apps.core import messages as sentences

# The beginning of every sentence platform_error_message() can show (English, the test default).
PLATFORM_SENTENCES = [
    s.split("%(")[0][:40]
    for s in (
        sentences.TIMEOUT,
        sentences.AUTH,
        sentences.RATE_LIMIT,
        sentences.MALFORMED,
        sentences.UNREACHABLE_WHY,
        sentences.UNCONFIRMED,
        sentences.UNKNOWN_STATUS,
    )
]
# What must never reach a page: Django's debug page, a traceback, raw XML, an entity's content.
LEAKS = re.compile(r"Traceback|Exception Value|<\?xml|root:x:0:0|lollollol|Server Error \(500\)")


@dataclass
class Page:
    """One request of a page that calls the platform.

    `url` and `data` may be callables of the test's context dict (ids made in setup). After
    `follow`ing redirects the final page must be a 200 with a platform sentence (unless
    `message=False`) and every string of `shows` (the last good local data).
    """

    name: str
    url: str | Callable[[dict], str]
    method: str = "get"
    data: dict | Callable[[dict], dict] | None = None
    shows: tuple[str, ...] = ()
    message: bool = True
    before: Callable[[dict], None] | None = None
    statuses: tuple[int, ...] = (200,)
    # Faults this page cannot notice, each with the reason in a comment where it is listed.
    unnoticeable: tuple[str, ...] = ()
    # Sentences of the page's own, any one of which may stand for the platform sentence (e.g.
    # "the platform did not confirm" where a create's answer was lost).
    says: tuple[str, ...] = ()

    def request(self, client, ctx: dict):
        if self.before is not None:
            self.before(ctx)
        url = self.url(ctx) if callable(self.url) else self.url
        data = self.data(ctx) if callable(self.data) else self.data
        send = getattr(client, self.method)
        return send(url, data or {}, follow=True)


def page_problems(client, pages: list[Page], ctx: dict, fault: dict | None = None) -> list[str]:
    problems = []
    kind = (fault or {}).get("kind")
    for page in pages:
        if kind in page.unnoticeable:
            continue
        try:
            response = page.request(client, ctx)
        except Exception as exc:  # a view that raised: exactly what must never happen
            problems.append(f"{page.name}: raised {type(exc).__name__}: {exc}")
            continue
        if response.streaming:
            b"".join(response.streaming_content)  # consumed, as the test client expects
            problems.append(f"{page.name}: served a download although the platform failed")
            continue
        body = html.unescape(response.content.decode(errors="replace"))
        if response.status_code not in page.statuses:
            problems.append(f"{page.name}: HTTP {response.status_code}")
            continue
        leak = LEAKS.search(body)
        if leak:
            problems.append(f"{page.name}: shows {leak.group(0)!r}")
        if page.message and not any(s in body for s in (*PLATFORM_SENTENCES, *page.says)):
            problems.append(f"{page.name}: no message about the platform")
        for text in page.shows:
            if text not in body:
                problems.append(f"{page.name}: the last local data ({text!r}) is missing")
    return problems


@dataclass
class Job:
    """One background job: `run(ctx)` runs its last attempt in-process (retries are Celery's,
    exercised with a passing fault and the real worker); `check(ctx)` returns problems with what
    it recorded, and `visible` is (url, text) a person sees the failure on."""

    name: str
    run: Callable[[dict], object]
    check: Callable[[dict], list[str]] = field(default=lambda ctx: [])
    visible: Callable[[dict], tuple[str, str]] | None = None


def job_problems(client, jobs: list[Job], ctx: dict) -> list[str]:
    problems = []
    for job in jobs:
        try:
            job.run(ctx)
        except Exception as exc:
            problems.append(f"{job.name}: raised {type(exc).__name__}: {exc}")
            continue
        problems += [f"{job.name}: {p}" for p in job.check(ctx)]
        if job.visible is not None:
            url, text = job.visible(ctx)
            response = client.get(url)
            body = response.content.decode(errors="replace")
            if response.status_code != 200 or text not in body:
                problems.append(f"{job.name}: {url} does not show {text!r}")
    return problems


def last_attempt(task, *args):
    """Run a Celery task's body as its last retry would (no further retry is scheduled)."""
    return task.apply(args=list(args), retries=task.max_retries or 0, throw=False)
