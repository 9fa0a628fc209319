"""Template helpers of the live numbers: how fresh a report is, and how often its part of the
page refreshes itself (the same in a full page and in the htmx partial)."""

from django import template

from apps.analytics import live

register = template.Library()


@register.simple_tag
def report_freshness(report):
    return live.freshness(report)


@register.simple_tag
def live_refresh_seconds(report):
    """Seconds between two refreshes, or None once the numbers can no longer change."""
    if report is not None and report.final:
        return None
    return live.LIVE_REFRESH_SECONDS
