"""Template helpers of the layout: field help for the platform's terms, stored errors in words.

{% load portal %}
<label ...>{% translate "Batch number" %}{% term "batch_number" %}</label>
{{ job.error|platform_error }}
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..help import TERMS
from ..messages import stored_error_message
from ..platform_text import platform_text_html

register = template.Library()


@register.simple_tag
def term(key: str):
    """A small "?" beside a label: the term's explanation as a popover, linking to the help."""
    entry = TERMS.get(key)
    if entry is None:
        return ""
    return format_html(
        '<a href="{}#{}" class="term-help" role="button" tabindex="0" data-bs-toggle="popover" '
        'data-bs-trigger="focus hover" data-bs-placement="top" title="{}" data-bs-content="{}" '
        'aria-label="{}" data-testid="term-{}">?</a>',
        reverse("accounts:help"),
        entry.anchor,
        entry.name,
        entry.text,
        _("What is “%(term)s”?") % {"term": entry.name},
        entry.key,
    )


@register.filter
def platform_error(value) -> str:
    """An error a worker stored as text (in English), in the reader's language when known."""
    return stored_error_message(value)


@register.simple_tag
def td_attrs(column):
    """A table column's cell attributes (django-tables2's `column.attrs.td.as_html`), computed
    once per column and table rather than once per cell: building them (all of th, td and tf,
    each time) was a third of a 25-row table's rendering. Columns whose cell attributes are
    computed from the record are still computed per cell."""
    cached = getattr(column, "_portal_td_attrs", None)
    if cached is None:
        spec = column.column.attrs.get("td", column.column.attrs.get("cell", {}))
        table_spec = column._table.attrs.get("td", column._table.attrs.get("cell", {}))
        if any(callable(v) for v in (*spec.values(), *table_spec.values())):
            cached = False
        else:
            cached = column.attrs["td"].as_html()
        column._portal_td_attrs = cached
    return column.attrs["td"].as_html() if cached is False else cached


@register.filter
def platform_text(value) -> str:
    """A sentence of the platform (Chinese free text) in the reader's language when the portal
    knows it, the original in a tooltip; otherwise the original, labelled as the platform's."""
    return platform_text_html(value)
